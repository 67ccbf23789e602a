package org.rfaas.resourcemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.protocol.lease.LeaseToken;
import org.rfaas.rmclient.ApiError;
import org.rfaas.rmclient.LeaseBatchGrant;
import org.rfaas.rmclient.LeaseBatchRelease;
import org.rfaas.rmclient.LeaseBatchRequest;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.rmclient.LeaseRefusedException;
import org.rfaas.rmclient.NodeInfo;
import org.rfaas.rmclient.NodeRegistration;
import org.rfaas.rmclient.ResourceManagerClient;
import org.rfaas.rmclient.ResourceManagerException;

/** Batch leases ({@code POST /v1/leases/batch}) against a resource manager process, with placement per request. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
final class LeaseBatchTest {
    @TempDir
    static Path dir;

    private static ResourceManagerProcess rm;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        rm = ResourceManagerProcess.start(dir, 600_000, "first-fit");
        for (int i = 0; i < 8; i++) {
            rm.admin().addNode(new NodeRegistration("b" + i, "127.0.0.1", 7000 + i, "tcp", 8, 8192));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        rm.close();
    }

    @Test
    void batchesAreAllOrNothingOrBestEffortWithAtMostKPerNode() throws Exception {
        ResourceManagerClient client = rm.client();
        // 20 one-core leases, at most 3 per node, spread: 8 nodes hold them, none more than 3
        LeaseBatchGrant spread = client.requestLeases(new LeaseBatchRequest(20, 1, 256, 60_000, "mpi", 3, null, "spread"));
        assertEquals(20, spread.leases().size());
        Map<String, Integer> perNode = new HashMap<>();
        Set<Long> ids = new HashSet<>();
        LeaseToken verifier = LeaseToken.ofSecret(ResourceManagerProcess.SECRET);
        for (LeaseGrant g : spread.leases()) {
            perNode.merge(g.node(), 1, Integer::sum);
            assertTrue(ids.add(g.leaseId()));
            assertEquals(g.leaseId(), verifier.verify(g.token(), System.currentTimeMillis()).leaseId(), "each grant has its own token");
        }
        assertEquals(8, perNode.size(), "spread uses every node: " + perNode);
        perNode.values().forEach(n -> assertTrue(n <= 3, "at most 3 per node: " + perNode));

        // all-or-nothing that cannot fit whole: refused, and nothing of it stays
        int activeBefore = rm.admin().listLeases("ACTIVE").size();
        LeaseRefusedException refused = assertThrows(LeaseRefusedException.class, () -> client.requestLeases(
                new LeaseBatchRequest(100, 1, 256, 60_000, "mpi", 0, LeaseBatchRequest.ALL_OR_NOTHING, null)));
        assertTrue(refused.getMessage().contains("only 44 of 100"), refused.getMessage());
        assertEquals(activeBefore, rm.admin().listLeases("ACTIVE").size(), "a refused batch leaves no lease");
        assertCapacities(rm.admin());

        // best effort: what fits (44 free cores), packed first-fit in name order
        LeaseBatchGrant best = client.requestLeases(new LeaseBatchRequest(100, 1, 256, 60_000, "mpi", 0,
                LeaseBatchRequest.BEST_EFFORT, null));
        assertEquals(100, best.requested());
        assertEquals(44, best.leases().size());
        assertCapacities(rm.admin());
        assertThrows(LeaseRefusedException.class, () -> client.requestLeases(new LeaseBatchRequest(1, 1, 1, 0, "mpi", 0,
                LeaseBatchRequest.BEST_EFFORT, null)), "a best-effort batch of which nothing fits is refused");

        // released one by one, the capacity comes back and a whole-node batch packs
        // a forged token anywhere in a batch release refuses the whole release
        List<LeaseBatchRelease.Lease> forged = new java.util.ArrayList<>(LeaseBatchRelease.of(best.leases()).leases());
        forged.set(3, new LeaseBatchRelease.Lease(forged.get(3).leaseId(), best.leases().get(4).token()));
        assertEquals(401, assertThrows(ResourceManagerException.class,
                () -> client.releaseLeases(new LeaseBatchRelease(forged))).status());
        assertEquals(activeBefore + 44, rm.admin().listLeases("ACTIVE").size(), "nothing released by a refused batch release");
        List<LeaseInfo> released = client.releaseLeases(LeaseBatchRelease.of(best.leases()));
        assertEquals(44, released.size());
        for (int i = 0; i < 44; i++) {
            assertEquals(best.leases().get(i).leaseId(), released.get(i).leaseId());
            assertEquals("RELEASED", released.get(i).state());
        }
        assertEquals("RELEASED", client.releaseLeases(LeaseBatchRelease.of(best.leases().subList(0, 1))).getFirst().state(),
                "releasing again answers the ended lease");
        for (LeaseGrant g : spread.leases()) {
            client.releaseLease(g);
        }
        LeaseGrant partial = client.requestLease(1, 256, 60_000, "x");
        LeaseBatchGrant packed = client.requestLeases(new LeaseBatchRequest(7, 1, 256, 60_000, "mpi", 0, null, "pack"));
        packed.leases().forEach(g -> assertEquals(partial.node(), g.node(), "pack fills the partly used node first"));
        assertCapacities(rm.admin());
    }

    @Test
    void batchBodiesAreValidated() throws Exception {
        assertBad("count must be in 1..16384", "{\"count\":0,\"cores\":1,\"memoryMiB\":1,\"tenant\":\"a\"}");
        assertBad("count must be in 1..16384", "{\"count\":16385,\"cores\":1,\"memoryMiB\":1,\"tenant\":\"a\"}");
        assertBad("maxPerNode must not be negative", "{\"count\":1,\"cores\":1,\"memoryMiB\":1,\"tenant\":\"a\",\"maxPerNode\":-1}");
        assertBad("mode must be all-or-nothing or best-effort", "{\"count\":1,\"cores\":1,\"memoryMiB\":1,\"tenant\":\"a\",\"mode\":\"some\"}");
        assertBad("placement must be one of", "{\"count\":1,\"cores\":1,\"memoryMiB\":1,\"tenant\":\"a\",\"placement\":\"random\"}");
        assertBad("\"extra\"", "{\"count\":1,\"cores\":1,\"memoryMiB\":1,\"tenant\":\"a\",\"extra\":1}");
        assertBad("cores must be positive", "{\"count\":1,\"cores\":0,\"memoryMiB\":1,\"tenant\":\"a\"}");
        assertBad("a lease is named twice", "{\"leases\":[{\"leaseId\":1,\"token\":\"t\"},{\"leaseId\":1,\"token\":\"t\"}]}",
                "/v1/leases/release");
        assertBad("leases must hold 1..16384", "{\"leases\":[]}", "/v1/leases/release");
        assertBad("leaseId must be positive", "{\"leases\":[{\"leaseId\":0,\"token\":\"t\"}]}", "/v1/leases/release");
        assertBad("placement must be one of", "{\"cores\":1,\"memoryMiB\":1,\"tenant\":\"a\",\"placement\":\"nearest\"}", "/v1/leases");
    }

    private static void assertBad(String messagePart, String body) throws Exception {
        assertBad(messagePart, body, "/v1/leases/batch");
    }

    private static void assertBad(String messagePart, String body, String path) throws Exception {
        // as the operator: a lease body is read once its request is authenticated
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(rm.uri() + path))
                .header("Authorization", "Bearer " + ResourceManagerProcess.ADMIN)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode(), r.body());
        ApiError e = ResourceManagerClient.JSON.readValue(r.body(), ApiError.class);
        assertEquals(ApiError.BAD_REQUEST, e.code());
        assertTrue(e.message().contains(messagePart), "'" + e.message() + "' should mention '" + messagePart + "'");
    }

    private static void assertCapacities(ResourceManagerClient admin) {
        Map<String, Integer> used = new HashMap<>();
        List<LeaseInfo> active = admin.listLeases("ACTIVE");
        active.forEach(l -> used.merge(l.node(), l.cores(), Integer::sum));
        for (NodeInfo n : admin.listNodes()) {
            int u = used.getOrDefault(n.name(), 0);
            assertTrue(u <= n.cores(), n.name() + " overbooked");
            assertEquals(n.cores() - u, n.freeCores(), n.name());
        }
    }
}
