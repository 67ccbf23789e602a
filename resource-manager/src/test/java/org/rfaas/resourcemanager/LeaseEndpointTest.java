package org.rfaas.resourcemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.LeaseRefusedException;
import org.rfaas.rmclient.LeaseRequest;
import org.rfaas.rmclient.NodeRegistration;
import org.rfaas.rmclient.ResourceManagerClient;
import org.rfaas.rmclient.ResourceManagerException;
import org.rfaas.rmclient.TenantRequest;
import org.rfaas.rmclient.rpc.LeaseRpc;
import org.rfaas.rmclient.rpc.LeaseRpcClient;

/**
 * The binary lease endpoint: grants and releases with the HTTP API's state, authentication,
 * refusals and request ids; and peers that send garbage, stay silent or trickle a frame are
 * closed while a well-behaved client goes on.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LeaseEndpointTest {
    private static final String ADMIN = "lease-endpoint-admin-token-0123";
    @TempDir
    Path dir;
    private ResourceManager rm;
    private ResourceManagerClient admin;
    private String key;
    private final List<Socket> raw = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        rm = ResourceManager.start(new ResourceManagerConfig("127.0.0.1", 0, ADMIN, "lease-endpoint-cluster-secret-0123",
                dir.resolve("data").toString(), null, null, null, 0, null, 0, 0, 0, 0).withLeasePort(0));
        admin = ResourceManagerClient.forAdmin(rm.uri(), ADMIN);
        admin.addNode(new NodeRegistration("e0", "127.0.0.1", 7000, "tcp", 4, 4096));
        key = admin.createTenant(new TenantRequest("rank", 0, 0)).apiKey();
    }

    @AfterEach
    void stop() throws Exception {
        for (Socket s : raw) {
            s.close();
        }
        rm.close();
    }

    private LeaseRpcClient client() {
        return LeaseRpcClient.of(rm.leaseEndpoint(), key, "rank");
    }

    @Test
    void grantsAndReleasesLikeTheHttpApi() {
        try (LeaseRpcClient c = client()) {
            LeaseGrant g = c.requestLease(new LeaseRequest(3, 1024, 60_000, "rank"));
            assertEquals("e0", g.node());
            assertEquals(7000, g.nodePort());
            assertEquals(3, g.cores());
            assertTrue(g.token().length() > 20);
            assertEquals(1, admin.node("e0").freeCores());
            // the token is the lease's: the HTTP API accepts it, as an executor manager would verify it
            assertEquals("ACTIVE", ResourceManagerClient.forTenant(rm.uri(), key).lease(g.leaseId(), g.token()).state());

            LeaseRefusedException full = assertThrows(LeaseRefusedException.class,
                    () -> c.requestLease(new LeaseRequest(2, 64, 60_000, "rank")));
            assertEquals(409, full.status());
            assertEquals("RELEASED", c.releaseLease(g));
            assertEquals(4, admin.node("e0").freeCores());
            assertEquals("RELEASED", c.releaseLease(g), "releasing again answers the ended lease's record");

            // a request id answers the same lease again, also on another connection
            LeaseRequest rank7 = new LeaseRequest(1, 64, 60_000, "rank", null, "job:rank-7");
            LeaseGrant first = c.requestLease(rank7);
            try (LeaseRpcClient other = client()) {
                assertEquals(first.leaseId(), other.requestLease(rank7).leaseId());
            }
            assertEquals(3, admin.node("e0").freeCores());
            // a lease token proves only its own lease
            LeaseGrant forged = new LeaseGrant(first.leaseId() + 1000, "rank", "e0", "127.0.0.1", 7000, "tcp", 1, 64,
                    first.expiresAtEpochMillis(), first.token());
            assertEquals(401, assertThrows(ResourceManagerException.class, () -> c.releaseLease(forged)).status());
            assertEquals("RELEASED", c.releaseLease(first), "the connection serves on after a refusal");
        }
    }

    @Test
    void refusesWrongCredentialsAndARotatedKeyAtOnce() {
        try (LeaseRpcClient wrong = LeaseRpcClient.of(rm.leaseEndpoint(), "rfk_not-a-key", "rank")) {
            assertEquals(401, assertThrows(ResourceManagerException.class,
                    () -> wrong.requestLease(new LeaseRequest(1, 64, 60_000, "rank"))).status());
        }
        try (LeaseRpcClient other = LeaseRpcClient.of(rm.leaseEndpoint(), key, "someone-else")) {
            assertEquals(403, assertThrows(ResourceManagerException.class,
                    () -> other.requestLease(new LeaseRequest(1, 64, 60_000, "someone-else"))).status());
        }
        try (LeaseRpcClient c = client()) {
            c.releaseLease(c.requestLease(new LeaseRequest(1, 64, 60_000, "rank")));
            admin.rotateTenantKey("rank");
            assertEquals(401, assertThrows(ResourceManagerException.class,
                    () -> c.requestLease(new LeaseRequest(1, 64, 60_000, "rank"))).status(),
                    "an open connection does not outlive its key");
        }
        try (LeaseRpcClient operator = LeaseRpcClient.of(rm.leaseEndpoint(), ADMIN, "rank")) {
            LeaseGrant g = operator.requestLease(new LeaseRequest(1, 64, 60_000, "rank"));
            assertEquals("rank", g.tenant());
            assertEquals("RELEASED", operator.releaseLease(g));
        }
    }

    @Test
    void hostilePeersAreClosedWhileAClientGoesOn() throws Exception {
        Socket garbage = open();
        garbage.getOutputStream().write(new byte[] {0, 0, 0, 5, 42, 1, 2, 3, 4});
        Socket oversized = open();
        oversized.getOutputStream().write(new byte[] {0x7f, 0, 0, 0});
        Socket noHello = open();
        noHello.getOutputStream().write(new LeaseRpc.Writer().begin(LeaseRpc.GRANT).i32(1).i64(64).i64(0).str("").str("")
                .toBytes());
        Socket silent = open();
        Socket trickle = open();
        byte[] hello = new LeaseRpc.Hello(LeaseRpc.VERSION, key, "rank").write(new LeaseRpc.Writer()).toBytes();
        trickle.getOutputStream().write(hello, 0, 3);
        try (LeaseRpcClient c = client()) {
            for (int i = 0; i < 20; i++) {
                c.releaseLease(c.requestLease(new LeaseRequest(1, 64, 60_000, "rank")));
            }
        }
        assertClosed(garbage, 1_000);
        assertClosed(oversized, 1_000);
        assertClosed(noHello, 1_000);
        // the HELLO is due within 2 s: silence and a frame trickled in are closed after it
        assertClosed(silent, 4_000);
        trickle.getOutputStream().write(hello, 3, 2);
        assertClosed(trickle, 4_000);
        try (LeaseRpcClient c = client()) {
            assertEquals("RELEASED", c.releaseLease(c.requestLease(new LeaseRequest(1, 64, 60_000, "rank"))));
        }
        assertNotEquals(null, rm.leaseEndpoint());
    }

    private Socket open() throws IOException {
        String endpoint = rm.leaseEndpoint();
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1))),
                5_000);
        raw.add(s);
        return s;
    }

    /** The server closes {@code s} (without answering) within {@code millis}. */
    private static void assertClosed(Socket s, int millis) throws IOException {
        s.setSoTimeout(millis);
        InputStream in = s.getInputStream();
        try {
            int b = in.read();
            assertEquals(-1, b, "the server answered a peer it should have closed");
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server kept the connection open for " + millis + " ms");
        } catch (IOException e) {
            assertFalse(e instanceof SocketTimeoutException); // reset: closed too
        }
        OutputStream ignored = s.getOutputStream();
    }
}
