package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.protocol.AllocationRefusal;
import org.rfaas.protocol.AllocationRequest;
import org.rfaas.protocol.ExecutorShape;
import org.rfaas.protocol.PackageKind;
import org.rfaas.protocol.lease.LeaseClaims;
import org.rfaas.protocol.lease.LeaseToken;

class LeaseAuthorityTest {
    private static final LeaseToken TOKENS = LeaseToken.ofSecret("a-cluster-secret-of-some-length");

    private static AllocationRequest request(long leaseId, String token, int cores, long memoryMiB) {
        return new AllocationRequest(leaseId, 1, new ExecutorShape(cores, memoryMiB, 0, 2, 64, 64), 0, PackageKind.JAR, 10, token,
                "tcp://127.0.0.1:1", List.of());
    }

    @Test
    void staticAuthorityAssignsIdsAndRefusesTokens() {
        StaticLeaseAuthority a = new StaticLeaseAuthority(60_000);
        LeaseClaims c1 = a.authorize(request(0, "", 2, 256), "node0", 1_000);
        LeaseClaims c2 = a.authorize(request(0, "", 1, 128), "node0", 1_000);
        assertEquals(61_000, c1.expiresAtEpochMillis());
        assertEquals(2, c1.cores());
        assertEquals(c1.leaseId() + 1, c2.leaseId());
        var e = assertThrows(LeaseRefusedException.class, () -> a.authorize(request(5, "x.y", 1, 1), "node0", 1_000));
        assertEquals(AllocationRefusal.INVALID_LEASE, e.refusal());
    }

    @Test
    void tokenAuthorityEnforcesSignatureNodeLeaseIdAndSize() {
        TokenLeaseAuthority a = new TokenLeaseAuthority(TOKENS);
        String token = TOKENS.sign(new LeaseClaims(7, "alice", "node0", 2, 512, 10_000));
        assertEquals(7, a.authorize(request(7, token, 2, 512), "node0", 5_000).leaseId());
        assertEquals(AllocationRefusal.INVALID_LEASE,
                assertThrows(LeaseRefusedException.class, () -> a.authorize(request(8, token, 2, 512), "node0", 5_000)).refusal());
        assertEquals(AllocationRefusal.INVALID_LEASE,
                assertThrows(LeaseRefusedException.class, () -> a.authorize(request(7, token, 2, 512), "node1", 5_000)).refusal());
        assertEquals(AllocationRefusal.BAD_REQUEST,
                assertThrows(LeaseRefusedException.class, () -> a.authorize(request(7, token, 3, 512), "node0", 5_000)).refusal());
        assertEquals(AllocationRefusal.LEASE_EXPIRED,
                assertThrows(LeaseRefusedException.class, () -> a.authorize(request(7, token, 2, 512), "node0", 20_000)).refusal());
        String forged = LeaseToken.ofSecret("another-secret-entirely-different").sign(new LeaseClaims(7, "alice", "node0", 2, 512, 10_000));
        assertEquals(AllocationRefusal.INVALID_LEASE,
                assertThrows(LeaseRefusedException.class, () -> a.authorize(request(7, forged, 2, 512), "node0", 5_000)).refusal());
    }

    @Test
    void configReadsJsonWithDefaults(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("em.json");
        Files.writeString(file, """
                {"node": "n1", "listen": ["tcp://127.0.0.1:0", "shm:"], "cores": 4, "memoryMiB": 1024,
                 "resourceManager": {"url": "http://127.0.0.1:8090"}}
                """);
        ExecutorManagerConfig c = ExecutorManagerConfig.load(file);
        assertEquals("n1", c.node());
        assertEquals(2, c.listen().size());
        assertEquals(2000, c.gracePeriodMillis());
        assertEquals("http://127.0.0.1:8090", c.resourceManager().url().toString());
        assertEquals(ResourceManagerLinkConfig.DEFAULT_HEARTBEAT_MILLIS, c.resourceManager().heartbeatMillis());
        Files.writeString(file, "{\"node\": \"n1\", \"cores\": 4, \"memoryMiB\": 1024}");
        var e = assertThrows(RuntimeException.class, () -> ExecutorManagerConfig.load(file));
        assertEquals(true, e.getMessage().contains("listen"), e.getMessage());
    }
}
