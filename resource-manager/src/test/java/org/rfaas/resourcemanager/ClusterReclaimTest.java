package org.rfaas.resourcemanager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.rfaas.resourcemanager.TestCluster.fails;
import static org.rfaas.resourcemanager.TestCluster.waitFor;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;

/**
 * Capacity taken back from running executors, with real processes ({@link TestCluster}): lease
 * expiry and node removal stop the executors, bill the leases and free (or drop) the capacity.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
final class ClusterReclaimTest {
    private static TestCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = TestCluster.start();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void expiryStopsTheExecutorAndFreesCapacity() throws Exception {
        try (RfaasClient carol = cluster.client("it-carol")) {
            RemoteExecutor e = carol.allocate(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_WARM, cluster.jar, 4096, 4096)
                    .withLeaseDuration(Duration.ofMillis(15_000)));
            assertArrayEquals("y".getBytes(), e.invoke("echo", "y".getBytes()));
            long id = e.leaseId();
            waitFor(() -> "EXPIRED".equals(cluster.rm.admin().lease(id, null).state()), "the lease expired at the resource manager");
            waitFor(() -> fails(e), "the executor of the expired lease stopped");
            waitFor(() -> cluster.billed(id), "the expired lease is billed");
            waitFor(() -> cluster.rm.admin().listNodes().stream().allMatch(n -> n.freeCores() == 1), "capacity is back");
            e.close();
        }
    }

    @Test
    void removingANodeStopsItsExecutorsAndItStaysOut() throws Exception {
        try (RfaasClient dave = cluster.client("it-dave")) {
            RemoteExecutor onA = dave.allocate(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_WARM, cluster.jar, 4096, 4096));
            RemoteExecutor onB = dave.allocate(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_WARM, cluster.jar, 4096, 4096));
            assertEquals("em-b", onB.node());
            cluster.rm.admin().removeNode("em-b");
            waitFor(() -> fails(onB), "the executor on the removed node stopped");
            long id = onB.leaseId();
            waitFor(() -> cluster.billed(id), "the revoked lease is billed");
            Thread.sleep(1_000); // five heartbeat periods: the link must not re-register the node
            assertTrue(cluster.rm.admin().listNodes().stream().noneMatch(n -> n.name().equals("em-b")), "em-b stays removed");
            assertArrayEquals("still".getBytes(), onA.invoke("echo", "still".getBytes()), "em-a is untouched");
            onA.close();
            onB.close();
        }
    }
}
