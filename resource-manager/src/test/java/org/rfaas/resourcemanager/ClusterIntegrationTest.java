package org.rfaas.resourcemanager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.rfaas.resourcemanager.TestCluster.fails;
import static org.rfaas.resourcemanager.TestCluster.waitFor;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.rfaas.client.AllocationRefusedException;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.ExecutorGroup;
import org.rfaas.client.InvocationTimeoutException;
import org.rfaas.client.LeaseEventListener;
import org.rfaas.client.LeaseOffer;
import org.rfaas.client.LeaseRevokedException;
import org.rfaas.client.LeaseSource;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.client.RfaasException;
import org.rfaas.client.rm.ResourceManagerLeaseSource;
import org.rfaas.rmclient.LeaseBilling;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.rmclient.NodeInfo;

/**
 * The whole path with real processes ({@link TestCluster}): clients lease through the resource
 * manager, allocate on the executor managers (which verify the token), invoke, and are billed;
 * drained and removed nodes stop their executors.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
final class ClusterIntegrationTest {
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
    void leasesFillTheClusterInvokeAndAreBilled() throws Exception {
        try (RfaasClient alice = cluster.client("it-alice")) {
            RemoteExecutor a = alice.allocate(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_WARM, cluster.jar, 4096, 4096));
            RemoteExecutor b = alice.allocate(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_WARM, cluster.jar, 4096, 4096));
            assertEquals(List.of("em-a", "em-b"), List.of(a.node(), b.node()));
            assertArrayEquals("hello".getBytes(), a.invoke("echo", "hello".getBytes()));
            assertArrayEquals("world".getBytes(), b.invoke("echo", "world".getBytes()));
            for (NodeInfo n : cluster.rm.admin().listNodes()) {
                assertEquals(0, n.freeCores(), n.name() + " is fully leased");
            }
            AllocationRefusedException refused = assertThrows(AllocationRefusedException.class,
                    () -> alice.allocate(AllocationSpec.of(1, 64, HotTimeout.ALWAYS_WARM, cluster.jar, 4096, 4096)));
            assertTrue(refused.getMessage().contains("no node has 1 free core(s)"), refused.getMessage());
            long idA = a.leaseId();
            a.close();
            b.close();
            waitFor(() -> cluster.billed(idA), "lease " + idA + " is billed");
            LeaseBilling bill = cluster.rm.admin().billing().leases().stream().filter(l -> l.leaseId() == idA).findFirst().orElseThrow();
            assertEquals("it-alice", bill.tenant());
            assertEquals("em-a", bill.node());
            assertTrue(bill.allocationNanos() > 0 && bill.memoryMiBSeconds() > 0, bill.toString());
            waitFor(() -> cluster.rm.admin().listLeases("ACTIVE").isEmpty(), "both leases ended");
            assertEquals(1, cluster.rm.admin().node("em-a").freeCores());
        }
    }

    @Test
    void aClientLeasingOverTheLeaseEndpointInvokesAndItsLeaseEndsAndIsBilled() throws Exception {
        try (RfaasClient frank = cluster.leaseEndpointClient("it-rank-fast")) {
            RemoteExecutor a = frank.allocate(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_WARM, cluster.jar, 4096, 4096));
            assertArrayEquals("fast".getBytes(), a.invoke("echo", "fast".getBytes()));
            long id = a.leaseId();
            assertTrue(cluster.rm.admin().listLeases("ACTIVE").stream().anyMatch(l -> l.leaseId() == id && l.tenant()
                    .equals("it-rank-fast")), "granted over the endpoint, visible over HTTP");
            a.close();
            waitFor(() -> cluster.billed(id), "lease " + id + " is billed");
            waitFor(() -> cluster.rm.admin().listLeases("ACTIVE").stream().noneMatch(l -> l.leaseId() == id),
                    "the lease ended");
        }
    }

    @Test
    void drainStopsTheExecutorAndTheClientGetsATypedError() throws Exception {
        try (RfaasClient bob = cluster.client("it-bob")) {
            RemoteExecutor e = bob.allocate(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_WARM, cluster.jar, 4096, 4096));
            assertArrayEquals("x".getBytes(), e.invoke("echo", "x".getBytes()));
            String node = e.node();
            cluster.rm.admin().drainNode(node);
            try {
                // the link learns of the revocation at its next heartbeat and stops the executor
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                RfaasException failure = null;
                while (failure == null && System.nanoTime() < deadline) {
                    try {
                        e.invoke("echo", "x".getBytes());
                        Thread.sleep(100);
                    } catch (RfaasException ex) {
                        failure = ex;
                    }
                }
                assertTrue(failure != null, "invocations kept working on a drained node");
                LeaseInfo info = cluster.rm.admin().lease(e.leaseId(), null);
                assertEquals("REVOKED", info.state());
                long id = e.leaseId();
                waitFor(() -> cluster.billed(id), "the revoked lease is billed");
            } finally {
                cluster.rm.admin().resumeNode(node);
                e.close();
            }
        }
    }

    @Test
    void aBlockedHotCallOnARevokedLeaseFailsAsSoonAsTheRevocationIsPushed() throws Exception {
        java.util.concurrent.BlockingQueue<String> heard = new java.util.concurrent.LinkedBlockingQueue<>();
        try (RfaasClient erin = cluster.client("it-erin")) {
            erin.addLeaseListener(new LeaseEventListener() {
                @Override
                public void leaseRevoked(long leaseId, String node, String reason) {
                    heard.add("revoked " + leaseId + " " + node);
                }

                @Override
                public void capacityFreed(String node, int freeCores, long freeMemoryMiB) {
                    heard.add("free " + node + " " + freeCores);
                }
            });
            RemoteExecutor e = erin.allocate(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_HOT, cluster.jar, 4096, 4096));
            String node = e.node();
            try {
                assertArrayEquals("x".getBytes(), e.invoke("echo", "x".getBytes()));
                ResourceManagerLeaseSource source = (ResourceManagerLeaseSource) erin.leaseSource();
                waitFor(source::eventsConnected, "the client follows the event stream");
                java.util.concurrent.CompletableFuture<LeaseRevokedException> failure =
                        new java.util.concurrent.CompletableFuture<>();
                long[] failedAt = new long[1];
                Thread caller = Thread.ofPlatform().start(() -> {
                    try {
                        e.invoke("sleep", "20000".getBytes()); // spins (hot) for 20 s unless told
                        failure.completeExceptionally(new AssertionError("the call completed"));
                    } catch (LeaseRevokedException ex) {
                        failedAt[0] = System.nanoTime();
                        failure.complete(ex);
                    } catch (RuntimeException ex) {
                        failure.completeExceptionally(ex);
                    }
                });
                Thread.sleep(300); // the call is in flight
                long drainedAt = System.nanoTime();
                cluster.rm.admin().drainNode(node);
                LeaseRevokedException ex = failure.get(10, TimeUnit.SECONDS);
                // the pushed revocation's text, not the executor manager's lease end at its next heartbeat
                assertTrue(ex.getMessage().contains("was revoked: node " + node + " was drained"), ex.getMessage());
                System.out.println("drain -> blocked hot call failed: " + (failedAt[0] - drainedAt) / 1000 + " us");
                caller.join(5_000);
                assertTrue(heard.poll(5, TimeUnit.SECONDS).equals("revoked " + e.leaseId() + " " + node), heard.toString());
                assertThrows(LeaseRevokedException.class, () -> e.invoke("echo", "x".getBytes()), "new calls fail too");
            } finally {
                cluster.rm.admin().resumeNode(node);
                e.close();
            }
            String free = heard.poll(10, TimeUnit.SECONDS);
            while (free != null && !free.startsWith("free " + node)) {
                free = heard.poll(10, TimeUnit.SECONDS);
            }
            assertEquals("free " + node + " 1", free, "the resumed node's capacity is announced");
        }
    }

    @Test
    void aLeaseGrantedWhileTheNodesRevokedExecutorStillStopsWaitsForIt() throws Exception {
        try (RfaasClient ivan = cluster.client("it-ivan"); RfaasClient judy = cluster.client("it-judy")) {
            RemoteExecutor busy = ivan.allocate(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_HOT, cluster.jar, 4096, 4096));
            String node = busy.node();
            // spins through the stop's grace periods: the executor ends only at the SIGKILL, ~2 s on
            var call = busy.invokeAsync("sleep", "20000".getBytes(), Duration.ofSeconds(60));
            Thread.sleep(300);
            cluster.rm.admin().drainNode(node); // revoked: the resource manager has the core free at once
            cluster.rm.admin().resumeNode(node);
            long t0 = System.nanoTime();
            try (RemoteExecutor next = judy.allocate(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_WARM, cluster.jar,
                    4096, 4096))) {
                assertEquals(node, next.node(), "granted the revoked lease's core");
                assertArrayEquals("next".getBytes(), next.invoke("echo", "next".getBytes()));
            }
            System.out.println("the allocation on the revoked lease's core took " + (System.nanoTime() - t0) / 1_000_000
                    + " ms (its executor stopping)");
            assertTrue(call.isDone(), "the revoked lease's call failed");
            busy.close();
        }
    }

    @Test
    void aCallWithADeadlineFailsWhenItPassesAndTheExecutorKeepsServing() throws Exception {
        try (RfaasClient frank = cluster.client("it-frank")) {
            RemoteExecutor e = frank.allocate(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_HOT, cluster.jar, 4096, 4096));
            try {
                long start = System.nanoTime();
                InvocationTimeoutException t = assertThrows(InvocationTimeoutException.class,
                        () -> e.invoke("sleep", "1500".getBytes(), Duration.ofMillis(200)));
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertTrue(millis >= 200 && millis < 1_400, "timed out after " + millis + " ms: " + t.getMessage());
                // the late reply is discarded; the executor serves the next calls (deadlines generous)
                for (int i = 0; i < 5; i++) {
                    byte[] in = ("after-" + i).getBytes();
                    assertArrayEquals(in, e.invoke("echo", in, Duration.ofSeconds(30)));
                }
                var late = e.invokeAsync("sleep", "800".getBytes(), Duration.ofMillis(100));
                var ex = assertThrows(java.util.concurrent.ExecutionException.class, () -> late.get(10, TimeUnit.SECONDS));
                assertTrue(ex.getCause() instanceof InvocationTimeoutException, ex.getCause().toString());
                assertArrayEquals("ok".getBytes(), e.invokeAsync("echo", "ok".getBytes(), Duration.ofSeconds(30))
                        .get(30, TimeUnit.SECONDS));
                assertArrayEquals("x".getBytes(), e.invoke("echo", "x".getBytes()), "no deadline: still served");
            } finally {
                e.close();
            }
        }
    }

    @Test
    void aGroupSpansBothNodesAndScattersOneInputPerCore() throws Exception {
        try (RfaasClient grace = cluster.client("it-grace");
                ExecutorGroup group = grace.allocateGroup(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_WARM, cluster.jar,
                        4096, 4096), 2, 1)) {
            assertEquals(2, group.cores());
            assertEquals(List.of("em-a", "em-b"), group.nodes().stream().sorted().toList());
            List<byte[]> out = group.scatter("echo", List.of("zero".getBytes(), "one".getBytes()))
                    .get(30, TimeUnit.SECONDS);
            assertArrayEquals("zero".getBytes(), out.get(0));
            assertArrayEquals("one".getBytes(), out.get(1));
            assertThrows(IllegalArgumentException.class, () -> group.scatter("echo", List.of(new byte[1], new byte[1],
                    new byte[1])));
            // the cluster is full: a third lease is refused and the group's leases are untouched
            assertThrows(AllocationRefusedException.class, () -> grace.allocateGroup(AllocationSpec.of(1, 256,
                    HotTimeout.ALWAYS_WARM, cluster.jar, 4096, 4096), 1, 1));
            assertArrayEquals("again".getBytes(), group.executors().get(0).invoke("echo", "again".getBytes()));
        }
    }

    @Test
    void anExplicitListenHostIsWhereTheWorkersConnect() throws Exception {
        // 127.0.0.2 is not the routed source address (127.0.0.1): the workers can only find the
        // client there if the explicit listen host reached the allocation request
        try (RfaasClient henry = RfaasClient.builder().leaseSource(TestTenants.leases(cluster.rm.uri(), cluster.rm.admin(), "it-henry")).listenAddress("127.0.0.2").build();
                RemoteExecutor e = henry.allocate(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_WARM, cluster.jar, 4096,
                        4096))) {
            assertArrayEquals("via .2".getBytes(), e.invoke("echo", "via .2".getBytes()));
        }
    }

    @Test
    void aForgedTokenIsRefusedByTheExecutorManagerAndTheLeaseIsGivenBack() throws Exception {
        var grant = cluster.rm.client().requestLease(1, 64, 60_000, "it-mallory");
        String forged = grant.token().substring(0, grant.token().length() - 2) + (grant.token().endsWith("A") ? "BB" : "AA");
        List<Long> givenBack = new java.util.concurrent.CopyOnWriteArrayList<>();
        LeaseSource forger = new LeaseSource() {
            @Override
            public LeaseOffer acquire(int cores, long memoryMiB, Duration duration) {
                return new LeaseOffer(grant.node(), grant.nodeAddress(), grant.leaseId(), forged, grant.expiresAtEpochMillis());
            }

            @Override
            public void release(LeaseOffer lease) {
                givenBack.add(lease.leaseId());
            }
        };
        try (RfaasClient mallory = RfaasClient.builder().leaseSource(forger).build()) {
            AllocationRefusedException e = assertThrows(AllocationRefusedException.class,
                    () -> mallory.allocate(AllocationSpec.of(1, 64, HotTimeout.ALWAYS_WARM, cluster.jar, 4096, 4096)));
            assertTrue(e.getMessage().contains("signature"), e.getMessage());
            // a refused lease goes back to its source at once, not at its expiry a minute later
            assertEquals(List.of(grant.leaseId()), givenBack);
        } finally {
            cluster.rm.client().releaseLease(grant);
        }
    }

    @Test
    void aReleasedLeasesTokenIsNotAcceptedAgain() throws Exception {
        var grant = cluster.rm.client().requestLease(1, 64, 60_000, "it-replay");
        LeaseSource replaying = new LeaseSource() {
            @Override
            public LeaseOffer acquire(int cores, long memoryMiB, Duration duration) {
                return new LeaseOffer(grant.node(), grant.nodeAddress(), grant.leaseId(), grant.token(),
                        grant.expiresAtEpochMillis());
            }
        };
        try (RfaasClient replayer = RfaasClient.builder().leaseSource(replaying).build()) {
            AllocationSpec spec = AllocationSpec.of(1, 64, HotTimeout.ALWAYS_WARM, cluster.jar, 4096, 4096);
            RemoteExecutor first = replayer.allocate(spec);
            assertArrayEquals("once".getBytes(), first.invoke("echo", "once".getBytes()));
            first.close(); // released at the executor manager; the token would still verify for a minute
            AllocationRefusedException e = assertThrows(AllocationRefusedException.class, () -> replayer.allocate(spec));
            assertTrue(e.getMessage().contains("one allocation"), e.getMessage());
        } finally {
            cluster.rm.client().releaseLease(grant);
        }
    }

    /** Last: the node stays removed. */
    @Test
    @Order(Integer.MAX_VALUE)
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
