package org.rfaas.resourcemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.protocol.lease.LeaseClaims;
import org.rfaas.protocol.lease.LeaseToken;
import org.rfaas.rmclient.ApiError;
import org.rfaas.rmclient.BillingSummary;
import org.rfaas.rmclient.EndedLease;
import org.rfaas.rmclient.HeartbeatResponse;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.rmclient.LeaseRefusedException;
import org.rfaas.rmclient.LeaseRevokedException;
import org.rfaas.rmclient.NodeCredential;
import org.rfaas.rmclient.NodeInfo;
import org.rfaas.rmclient.NodeRegistration;
import org.rfaas.rmclient.ResourceManagerClient;
import org.rfaas.rmclient.ResourceManagerException;
import org.rfaas.rmclient.TenantBilling;

/**
 * The resource manager's API against a real resource manager process (child JVM); the executor
 * managers are simulated by the node endpoints of {@link ResourceManagerClient}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
final class ResourceManagerApiTest {
    @TempDir
    static Path dir;

    private static ResourceManagerProcess rm;
    private static ResourceManagerClient admin;
    private static ResourceManagerClient nodes;
    private static ResourceManagerClient clients;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void startResourceManager() throws Exception {
        rm = ResourceManagerProcess.start(dir, 60_000, "first-fit");
        admin = rm.admin();
        nodes = rm.node();
        clients = rm.client();
    }

    @AfterAll
    static void stopResourceManager() throws Exception {
        if (rm != null) {
            rm.close();
        }
    }

    /** Each test starts from an empty cluster (removing a node revokes its leases). */
    @BeforeEach
    void emptyCluster() {
        for (NodeInfo n : admin.listNodes()) {
            admin.removeNode(n.name());
        }
    }

    private static void register(String name, int cores, long memoryMiB) {
        nodes.registerNode(new NodeRegistration(name, "127.0.0.1", 7000, "tcp", cores, memoryMiB));
    }

    @Test
    void leasesFillTheClusterThenTheNextIsRefusedWithTheReason() {
        register("fill-a", 4, 4096);
        register("fill-b", 2, 2048);
        List<LeaseGrant> grants = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            grants.add(clients.requestLease(1, 512, 60_000, "alice"));
        }
        assertEquals(List.of("fill-a", "fill-a", "fill-a", "fill-a", "fill-b", "fill-b"),
                grants.stream().map(LeaseGrant::node).toList(), "first-fit fills nodes in name order");
        LeaseRefusedException refused = assertThrows(LeaseRefusedException.class, () -> clients.requestLease(1, 512, 60_000, "alice"));
        assertEquals(409, refused.status());
        assertEquals(ApiError.NO_CAPACITY, refused.code());
        assertTrue(refused.getMessage().contains("no node has 1 free core(s)"), refused.getMessage());
        assertTrue(refused.getMessage().contains("fill-a has 0 core(s)"), refused.getMessage());

        // the token is signed with the cluster secret over exactly the granted lease
        LeaseGrant g = grants.getFirst();
        LeaseClaims claims = LeaseToken.ofSecret(ResourceManagerProcess.SECRET).verify(g.token(), System.currentTimeMillis());
        assertEquals(new LeaseClaims(g.leaseId(), "alice", "fill-a", 1, 512, g.expiresAtEpochMillis()), claims);
        assertEquals("127.0.0.1", g.nodeAddress());
        assertEquals(7000, g.nodePort());

        // releasing gives the capacity back at once
        assertEquals("RELEASED", clients.releaseLease(grants.get(4)).state());
        assertEquals("fill-b", clients.requestLease(1, 512, 60_000, "alice").node());
        // memory counts too
        register("fill-c", 8, 1024);
        LeaseRefusedException mem = assertThrows(LeaseRefusedException.class, () -> clients.requestLease(1, 2048, 0, "alice"));
        assertTrue(mem.getMessage().contains("fill-c has 8 core(s)/1024 MiB free"), mem.getMessage());
    }

    @Test
    void emptyClusterRefusesWithAClearReason() {
        LeaseRefusedException e = assertThrows(LeaseRefusedException.class, () -> clients.requestLease(1, 1, 0, "alice"));
        assertTrue(e.getMessage().contains("no executor node is registered"), e.getMessage());
    }

    @Test
    void expiryFreesCapacityAndHeartbeatTellsTheNode() throws Exception {
        register("exp", 2, 2048);
        LeaseGrant g = clients.requestLease(2, 1024, 400, "alice");
        assertThrows(LeaseRefusedException.class, () -> clients.requestLease(1, 1, 60_000, "alice"));
        LeaseGrant next = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (next == null && System.nanoTime() < deadline) {
            try {
                next = clients.requestLease(2, 1024, 60_000, "alice");
            } catch (LeaseRefusedException e) {
                Thread.sleep(50);
            }
        }
        assertTrue(next != null, "capacity did not come back after the lease expired");
        assertTrue(System.currentTimeMillis() >= g.expiresAtEpochMillis());
        LeaseInfo info = clients.lease(g.leaseId(), g.token());
        assertEquals("EXPIRED", info.state());
        HeartbeatResponse hb = nodes.heartbeat("exp");
        assertTrue(hb.endedLeases().contains(new EndedLease(g.leaseId(), "EXPIRED", "lease expired")), hb.toString());
        assertEquals(List.of(next.leaseId()), hb.activeLeaseIds());
        assertThrows(LeaseRevokedException.class, () -> clients.renewLease(g, 60_000));
    }

    @Test
    void renewalExtendsTheExpiryWithANewToken() throws Exception {
        register("renew", 1, 1024);
        LeaseGrant g = clients.requestLease(1, 1024, 500, "alice");
        LeaseGrant r = clients.renewLease(g, 60_000);
        assertEquals(g.leaseId(), r.leaseId());
        assertTrue(r.expiresAtEpochMillis() > g.expiresAtEpochMillis() + 30_000);
        assertNotEquals(g.token(), r.token());
        assertEquals(r.expiresAtEpochMillis(),
                LeaseToken.ofSecret(ResourceManagerProcess.SECRET).verify(r.token(), System.currentTimeMillis()).expiresAtEpochMillis());
        Thread.sleep(800);
        assertEquals("ACTIVE", clients.lease(g.leaseId(), r.token()).state());
        // the old token still identifies the lease holder (it may release), only its expiry is old
        assertEquals("RELEASED", clients.releaseLease(g).state());
        assertEquals("RELEASED", clients.releaseLease(r).state(), "releasing twice is a no-op");
    }

    @Test
    void drainRevokesLeasesAndStopsPlacement() {
        register("drain-a", 2, 2048);
        register("drain-b", 2, 2048);
        LeaseGrant onA = clients.requestLease(2, 1024, 60_000, "alice");
        assertEquals("drain-a", onA.node());
        NodeInfo drained = admin.drainNode("drain-a");
        assertEquals("DRAINING", drained.state());
        assertEquals(2, drained.freeCores());
        LeaseInfo info = admin.lease(onA.leaseId(), null);
        assertEquals("REVOKED", info.state());
        assertTrue(info.endReason().contains("drained"), info.endReason());
        LeaseRevokedException revoked = assertThrows(LeaseRevokedException.class, () -> clients.checkActive(onA));
        assertEquals(ApiError.LEASE_ENDED, revoked.code());
        assertThrows(LeaseRevokedException.class, () -> clients.renewLease(onA, 60_000));
        HeartbeatResponse hb = nodes.heartbeat("drain-a");
        assertEquals("DRAINING", hb.state());
        assertEquals(List.of(onA.leaseId()), hb.endedLeases().stream().map(EndedLease::leaseId).toList());

        assertEquals("drain-b", clients.requestLease(2, 1024, 60_000, "alice").node());
        assertThrows(LeaseRefusedException.class, () -> clients.requestLease(1, 1, 60_000, "alice"));
        nodes.registerNode(new NodeRegistration("drain-a", "127.0.0.1", 7000, "tcp", 2, 2048));
        assertEquals("DRAINING", admin.node("drain-a").state(), "re-registering does not undo a drain");
        assertEquals("UP", admin.resumeNode("drain-a").state());
        assertEquals("drain-a", clients.requestLease(1, 1, 60_000, "alice").node());
    }

    @Test
    void removeRevokesAndForgetsTheNode() {
        register("gone", 2, 2048);
        LeaseGrant g = clients.requestLease(1, 1024, 60_000, "alice");
        NodeInfo last = admin.removeNode("gone");
        assertEquals(1, last.activeLeases(), "the answer is the node's record before removal");
        assertTrue(admin.listNodes().stream().noneMatch(n -> n.name().equals("gone")));
        assertEquals("REVOKED", admin.lease(g.leaseId(), null).state());
        ResourceManagerException e = assertThrows(ResourceManagerException.class, () -> nodes.heartbeat("gone"));
        assertEquals(410, e.status());
        assertEquals(ApiError.NODE_REMOVED, e.code());
        assertEquals(404, assertThrows(ResourceManagerException.class, () -> admin.removeNode("gone")).status());
        register("gone", 2, 2048);
        assertEquals("UP", nodes.heartbeat("gone").state(), "registering again rejoins");
    }

    @Test
    void billingIsStoredPerLeaseAndTotalledPerTenant() {
        register("bill", 4, 4096);
        LeaseGrant a1 = clients.requestLease(1, 1024, 60_000, "billed-alice");
        LeaseGrant a2 = clients.requestLease(1, 1024, 60_000, "billed-alice");
        LeaseGrant b1 = clients.requestLease(2, 1024, 60_000, "billed-bob");
        clients.releaseLease(a1);
        nodes.reportBilling("bill", a1.leaseId(), 1_000_000_000L, 200_000_000L, 700_000_000L, 1024.0);
        nodes.reportBilling("bill", a2.leaseId(), 3_000_000_000L, 100_000_000L, 0L, 3072.0);
        nodes.reportBilling("bill", b1.leaseId(), 5_000_000_000L, 4_000_000_000L, 1_000_000_000L, 5120.0);
        assertEquals("RELEASED", admin.lease(a2.leaseId(), null).state(), "a billed lease has ended");
        assertEquals(4, admin.node("bill").freeCores());

        ResourceManagerException dup = assertThrows(ResourceManagerException.class,
                () -> nodes.reportBilling("bill", a1.leaseId(), 1, 1, 1, 1.0));
        assertEquals(409, dup.status());
        assertEquals(ApiError.CONFLICT, dup.code());
        register("other", 1, 1024);
        ResourceManagerException wrongNode = assertThrows(ResourceManagerException.class,
                () -> nodes.reportBilling("other", b1.leaseId(), 1, 1, 1, 1.0));
        assertEquals(401, wrongNode.status(), "only the lease's node may bill it");

        TenantBilling alice = admin.tenantBilling("billed-alice");
        assertEquals(new TenantBilling("billed-alice", 2, 4_000_000_000L, 300_000_000L, 700_000_000L, 4096.0), alice);
        BillingSummary all = admin.billing();
        assertTrue(all.tenants().contains(new TenantBilling("billed-bob", 1, 5_000_000_000L, 4_000_000_000L, 1_000_000_000L, 5120.0)));
        assertTrue(all.leases().stream().anyMatch(l -> l.leaseId() == b1.leaseId() && l.tenant().equals("billed-bob")
                && l.node().equals("bill") && l.computeNanos() == 4_000_000_000L));
        assertEquals(new TenantBilling("nobody", 0, 0, 0, 0, 0.0), admin.tenantBilling("nobody"));
    }

    @Test
    void malformedBodiesAndBadCredentialsAreRefused() throws Exception {
        register("auth", 2, 2048);
        register("auth2", 2, 2048);
        String nodeCred = NodeCredential.derive(ResourceManagerProcess.SECRET, "auth");
        String adminAuth = "Bearer " + ResourceManagerProcess.ADMIN;

        // bodies are read once the request is authenticated (here as the operator)
        assertStatus(401, "UNAUTHORIZED", "tenant API key", post("/v1/leases", "{\"cores\":1,\"memoryMiB\":1,\"tenant\":\"a\"}", null));
        assertStatus(400, "BAD_REQUEST", "malformed LeaseRequest JSON", post("/v1/leases", "{not json", adminAuth));
        assertStatus(400, "BAD_REQUEST", "request body is empty", post("/v1/leases", "", adminAuth));
        assertStatus(400, "BAD_REQUEST", "cores must be positive", post("/v1/leases", "{\"cores\":-1,\"memoryMiB\":1,\"tenant\":\"a\"}", adminAuth));
        assertStatus(400, "BAD_REQUEST", "tenant is missing", post("/v1/leases", "{\"cores\":1,\"memoryMiB\":1}", adminAuth));
        assertStatus(400, "BAD_REQUEST", "\"colors\"", post("/v1/leases", "{\"cores\":1,\"memoryMiB\":1,\"tenant\":\"a\",\"colors\":1}", adminAuth));
        assertStatus(400, "BAD_REQUEST", "not a valid `int`", post("/v1/leases", "{\"cores\":\"two\",\"memoryMiB\":1,\"tenant\":\"a\"}", adminAuth));
        assertStatus(400, "BAD_REQUEST", "tenant 'a|b'", post("/v1/leases", "{\"cores\":1,\"memoryMiB\":1,\"tenant\":\"a|b\"}", adminAuth));
        assertStatus(400, "BAD_REQUEST", "memoryMiB must be positive",
                post("/v1/nodes", "{\"name\":\"x\",\"address\":\"h\",\"port\":1,\"transport\":\"tcp\",\"cores\":1}", adminAuth));
        assertStatus(400, "BAD_REQUEST", "lease id must be a number", send("GET", "/v1/leases/abc", null, adminAuth));
        assertStatus(400, "BAD_REQUEST", "state must be one of", send("GET", "/v1/leases?state=HAPPY", null, adminAuth));

        assertStatus(401, "UNAUTHORIZED", "missing", post("/v1/nodes", "{}", null));
        assertStatus(401, "UNAUTHORIZED", "wrong admin token", send("GET", "/v1/nodes", null, "Bearer not-the-admin-token"));
        assertStatus(401, "UNAUTHORIZED", "wrong admin token", send("GET", "/v1/billing", null, "Bearer " + nodeCred));
        assertStatus(401, "UNAUTHORIZED", "does not belong to node 'auth2'", post("/v1/nodes/auth2/heartbeat", "", "Bearer " + nodeCred));
        assertStatus(401, "UNAUTHORIZED", "does not belong", post("/v1/nodes/auth/heartbeat", "",
                "Bearer " + NodeCredential.derive("another-cluster-secret-xyz", "auth")));
        assertStatus(401, "UNAUTHORIZED", "missing", post("/v1/nodes/auth/heartbeat", "", null));
        assertStatus(400, "BAD_REQUEST", "path names 'auth'", post("/v1/nodes/auth/register",
                "{\"name\":\"auth2\",\"address\":\"h\",\"port\":1,\"transport\":\"tcp\",\"cores\":1,\"memoryMiB\":1}", "Bearer " + nodeCred));
        assertStatus(200, null, null, post("/v1/nodes/auth/heartbeat", "", "Bearer " + nodeCred));

        LeaseGrant g = clients.requestLease(1, 1, 60_000, "alice");
        LeaseGrant other = clients.requestLease(1, 1, 60_000, "alice");
        String sig = g.token().substring(g.token().indexOf('.') + 1);
        String forged = g.token().substring(0, g.token().indexOf('.') + 1) + (sig.charAt(0) == 'A' ? 'B' : 'A') + sig.substring(1);
        assertStatus(401, "UNAUTHORIZED", "signature does not match", post("/v1/leases/" + g.leaseId() + "/renew",
                "{\"durationMillis\":1000}", "Bearer " + forged));
        String otherSecret = LeaseToken.ofSecret("a-different-cluster-secret")
                .sign(new LeaseClaims(g.leaseId(), "alice", g.node(), 1, 1, g.expiresAtEpochMillis()));
        assertStatus(401, "UNAUTHORIZED", "signature does not match", send("DELETE", "/v1/leases/" + g.leaseId(), null, "Bearer " + otherSecret));
        assertStatus(401, "UNAUTHORIZED", "is for lease " + other.leaseId(), send("DELETE", "/v1/leases/" + g.leaseId(), null,
                "Bearer " + other.token()));
        assertStatus(401, "UNAUTHORIZED", "missing", send("DELETE", "/v1/leases/" + g.leaseId(), null, null));
        assertEquals("ACTIVE", admin.lease(g.leaseId(), null).state(), "refused requests change nothing");
        assertStatus(400, "BAD_REQUEST", "allocationNanos must not be negative", post("/v1/leases/" + g.leaseId() + "/billing",
                "{\"allocationNanos\":-5,\"computeNanos\":0,\"hotPollingNanos\":0,\"memoryMiBSeconds\":0}", "Bearer " + nodeCred));

        assertStatus(404, "NOT_FOUND", "unknown node 'ghost'", send("GET", "/v1/nodes/ghost", null, adminAuth));
        assertStatus(404, "NOT_FOUND", "unknown node 'ghost'", post("/v1/nodes/ghost/heartbeat", "",
                "Bearer " + NodeCredential.derive(ResourceManagerProcess.SECRET, "ghost")));
        assertStatus(404, "NOT_FOUND", "unknown lease 987654", send("DELETE", "/v1/leases/987654", null, adminAuth));
        assertStatus(404, "NOT_FOUND", "no such endpoint", send("GET", "/v2/nodes", null, adminAuth));
    }

    @Test
    void eightConcurrentClientsNeverOverCommit() throws Exception {
        Map<String, NodeInfo> capacity = new HashMap<>();
        register("cc-a", 8, 8192);
        register("cc-b", 8, 8192);
        register("cc-c", 3, 8192);
        for (NodeInfo n : admin.listNodes()) {
            capacity.put(n.name(), n);
        }
        int clientsCount = 8;
        int rounds = 5;
        // one barrier, four meetings per round: filled | checked | released | checked-released
        CyclicBarrier sync = new CyclicBarrier(clientsCount + 1);
        ExecutorService pool = Executors.newFixedThreadPool(clientsCount);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int c = 0; c < clientsCount; c++) {
                results.add(pool.submit(() -> {
                    String tenant = "tenant-" + Thread.currentThread().threadId();
                    ResourceManagerClient mine = ResourceManagerClient.forTenant(rm.uri(), TestTenants.key(rm.admin(), tenant));
                    int refusals = 0;
                    for (int round = 0; round < rounds; round++) {
                        List<LeaseGrant> held = new ArrayList<>();
                        while (true) {
                            int cores = 1 + ThreadLocalRandom.current().nextInt(3);
                            long mem = 512L * (1 + ThreadLocalRandom.current().nextInt(4));
                            try {
                                held.add(mine.requestLease(cores, mem, 60_000, tenant));
                            } catch (LeaseRefusedException e) {
                                refusals++;
                                break;
                            }
                        }
                        sync.await(30, TimeUnit.SECONDS);
                        sync.await(30, TimeUnit.SECONDS);
                        for (LeaseGrant g : held) {
                            mine.releaseLease(g);
                        }
                        sync.await(30, TimeUnit.SECONDS);
                        sync.await(30, TimeUnit.SECONDS);
                    }
                    return refusals;
                }));
            }
            for (int round = 0; round < rounds; round++) {
                sync.await(30, TimeUnit.SECONDS);
                List<LeaseInfo> active = admin.listLeases("ACTIVE");
                Map<String, int[]> cores = new HashMap<>();
                Map<String, long[]> mem = new HashMap<>();
                for (LeaseInfo l : active) {
                    cores.computeIfAbsent(l.node(), k -> new int[1])[0] += l.cores();
                    mem.computeIfAbsent(l.node(), k -> new long[1])[0] += l.memoryMiB();
                }
                int used = 0;
                for (NodeInfo n : admin.listNodes()) {
                    int c = cores.getOrDefault(n.name(), new int[1])[0];
                    long m = mem.getOrDefault(n.name(), new long[1])[0];
                    used += c;
                    assertTrue(c <= capacity.get(n.name()).cores(), "round " + round + ": " + n.name() + " over-committed: " + c + " cores");
                    assertTrue(m <= capacity.get(n.name()).memoryMiB(), "round " + round + ": " + n.name() + " over-committed: " + m + " MiB");
                    assertEquals(n.cores() - c, n.freeCores(), "free cores of " + n.name() + " disagree with its leases");
                    assertEquals(n.memoryMiB() - m, n.freeMemoryMiB(), "free memory of " + n.name() + " disagrees with its leases");
                    assertTrue(n.freeCores() >= 0 && n.freeMemoryMiB() >= 0);
                }
                // every client asked until refused, so the leases add up to a filled cluster (cores or memory)
                assertTrue(used >= 8, "round " + round + ": only " + used + " of 19 cores leased");
                sync.await(30, TimeUnit.SECONDS);
                sync.await(30, TimeUnit.SECONDS);
                assertEquals(List.of(), admin.listLeases("ACTIVE"), "all leases released after round " + round);
                sync.await(30, TimeUnit.SECONDS);
            }
            for (Future<Integer> f : results) {
                assertEquals(rounds, f.get(30, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static HttpResponse<String> post(String path, String body, String auth) throws Exception {
        return send("POST", path, body, auth);
    }

    private static HttpResponse<String> send(String method, String path, String body, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(rm.uri() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertStatus(int status, String code, String messagePart, HttpResponse<String> r) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        if (code != null) {
            ApiError e = ResourceManagerClient.JSON.readValue(r.body(), ApiError.class);
            assertEquals(code, e.code(), r.body());
            assertEquals(status, e.status());
            assertTrue(e.message().contains(messagePart), "'" + e.message() + "' should mention '" + messagePart + "'");
        }
    }
}
