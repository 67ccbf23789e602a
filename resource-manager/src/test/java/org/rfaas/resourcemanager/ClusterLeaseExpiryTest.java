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
import org.rfaas.client.AllocationRefusedException;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.client.rm.ResourceManagerLeaseSource;

/**
 * Lease time with real processes ({@link TestCluster}): a renewal at the resource manager extends
 * the running executor; expiry stops it, bills the lease and frees the capacity.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
final class ClusterLeaseExpiryTest {
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
    void renewalExtendsTheExecutorThenExpiryStopsItAndFreesCapacity() throws Exception {
        ResourceManagerLeaseSource leases = TestTenants.leases(cluster.rm.uri(), cluster.rm.admin(), "it-carol");
        try (RfaasClient carol = RfaasClient.builder().leaseSource(leases).build()) {
            // short leases, so that expiry comes soon; a machine too loaded to cold-start within the
            // lease gets a longer one
            RemoteExecutor e = null;
            for (long millis = 15_000; e == null; millis *= 2) {
                try {
                    e = carol.allocate(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_WARM, cluster.jar, 4096, 4096)
                            .withLeaseDuration(Duration.ofMillis(millis)));
                } catch (AllocationRefusedException slow) {
                    if (millis >= 60_000 || !slow.getMessage().contains("EXPIRED")) {
                        throw slow;
                    }
                }
            }
            assertArrayEquals("y".getBytes(), e.invoke("echo", "y".getBytes()));
            long id = e.leaseId();
            long tokenExpiry = cluster.rm.admin().lease(id, null).expiresAtEpochMillis();
            leases.renew(id, Duration.ofMillis(tokenExpiry + 5_000 - System.currentTimeMillis()));
            long renewedExpiry = cluster.rm.admin().lease(id, null).expiresAtEpochMillis();
            assertTrue(renewedExpiry > tokenExpiry + 1_500, "the renewal moved the expiry later");

            // past the token's expiry the executor still serves: the link extended the manager's timer
            Thread.sleep(Math.max(0, tokenExpiry + 1_500 - System.currentTimeMillis()));
            assertArrayEquals("z".getBytes(), e.invoke("echo", "z".getBytes()), "renewed lease still served");

            waitFor(() -> "EXPIRED".equals(cluster.rm.admin().lease(id, null).state()), "the lease expired at the resource manager");
            RemoteExecutor renewed = e;
            waitFor(() -> fails(renewed), "the executor of the expired lease stopped");
            waitFor(() -> cluster.billed(id), "the expired lease is billed");
            waitFor(() -> cluster.rm.admin().listNodes().stream().allMatch(n -> n.freeCores() == 1), "capacity is back");
            e.close();
        }
    }
}
