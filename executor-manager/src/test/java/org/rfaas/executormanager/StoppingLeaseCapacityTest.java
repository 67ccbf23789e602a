package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.protocol.AllocationRefusal;
import org.rfaas.protocol.ExecutorShape;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.protocol.lease.LeaseClaims;

/**
 * The resource manager frees a lease's capacity when the lease is released or revoked there,
 * before the executor manager stopped its executor, and may grant it again at once: a request for
 * capacity that leases still being stopped hold waits for them; capacity held by a running lease
 * is refused at once.
 */
class StoppingLeaseCapacityTest {
    private static final ExecutorShape ONE_CORE = new ExecutorShape(1, 256, 0, 1, 64, 64);
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @TempDir
    Path dir;

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    private LeaseTable table(long graceMillis) {
        return new LeaseTable(config(graceMillis), timer, id -> { });
    }

    private ExecutorManagerConfig config(long graceMillis) {
        return ExecutorManagerConfig.of("n", List.of("tcp://127.0.0.1:0"), 1, 1024, dir).withGracePeriodMillis(graceMillis);
    }

    private static LeaseClaims claims(long id) {
        return new LeaseClaims(id, "t", "n", 1, 256, System.currentTimeMillis() + 60_000);
    }

    /** Reserves and adds lease {@code id} as the allocation path does. */
    private ManagedLease running(LeaseTable table, long id) {
        table.reserve(claims(id), ONE_CORE);
        ManagedLease lease = new ManagedLease(claims(id), null, null, dir, System.nanoTime());
        table.add(lease);
        return lease;
    }

    private static CompletableFuture<Void> reserveAsync(LeaseTable table, long id) {
        return CompletableFuture.runAsync(() -> table.reserve(claims(id), ONE_CORE),
                r -> Thread.ofPlatform().daemon().start(r));
    }

    private static LeaseRefusedException refusal(CompletableFuture<Void> request) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> request.get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof LeaseRefusedException, e.getCause().toString());
        return (LeaseRefusedException) e.getCause();
    }

    @Test
    void aRequestWaitsForTheStoppingLeaseAndTakesItsCapacity() throws Exception {
        LeaseTable table = table(1_000);
        ManagedLease first = running(table, 1);
        table.endLease(first, LeaseEndReason.RELEASED); // no process: it stays stopping until abandoned
        CompletableFuture<Void> second = reserveAsync(table, 2);
        assertThrows(TimeoutException.class, () -> second.get(300, TimeUnit.MILLISECONDS), "waits while lease 1 stops");
        table.abandon(first); // lease 1's executor is gone: its capacity comes back
        second.get(5, TimeUnit.SECONDS);
        assertEquals(0, table.freeCores(), "lease 2 holds the core");
    }

    @Test
    void capacityHeldByARunningLeaseIsRefusedAtOnce() throws Exception {
        LeaseTable table = table(1_000);
        running(table, 1);
        long t0 = System.nanoTime();
        LeaseRefusedException e = refusal(reserveAsync(table, 2));
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(AllocationRefusal.INSUFFICIENT_CAPACITY, e.refusal());
        assertTrue(e.getMessage().contains("0 free cores"), e.getMessage());
        assertTrue(millis < 1_000, "refused after " + millis + " ms");
    }

    @Test
    void withAResourceManagerARunningLeasesCapacityIsWaitedForAsItsRevocationComesAtTheNextHeartbeat()
            throws Exception {
        ExecutorManagerConfig linked = new ExecutorManagerConfig("n", List.of("tcp://127.0.0.1:0"), 1, 1024, dir, 0,
                1_000, 0, null, null, new ResourceManagerLinkConfig(URI.create("http://127.0.0.1:1"), 200), 0, 0L,
                null, false, null);
        LeaseTable table = new LeaseTable(linked, timer, id -> { });
        ManagedLease first = running(table, 1);
        CompletableFuture<Void> second = reserveAsync(table, 2);
        assertThrows(TimeoutException.class, () -> second.get(300, TimeUnit.MILLISECONDS),
                "the resource manager granted the core: lease 1 is about to end here");
        table.endLease(first, LeaseEndReason.REVOKED); // the heartbeat's answer
        table.abandon(first);
        second.get(5, TimeUnit.SECONDS);
        LeaseRefusedException tooBig = assertThrows(LeaseRefusedException.class,
                () -> table.reserve(claims(3), new ExecutorShape(2, 256, 0, 1, 64, 64)));
        assertEquals(AllocationRefusal.INSUFFICIENT_CAPACITY, tooBig.refusal(), "more than the node has: at once");
    }

    @Test
    void aLeaseThatDoesNotStopIsWaitedForAtMostTheStopBound() throws Exception {
        LeaseTable table = table(100);
        long bound = config(100).stopBoundMillis();
        table.endLease(running(table, 1), LeaseEndReason.REVOKED);
        long t0 = System.nanoTime();
        LeaseRefusedException e = refusal(reserveAsync(table, 2));
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(AllocationRefusal.INSUFFICIENT_CAPACITY, e.refusal());
        assertTrue(millis >= bound - 50 && millis < bound + 3_000, "refused after " + millis + " ms, bound " + bound);
    }

    @Test
    void aWaitingRequestIsRefusedWhenTheManagerShutsDown() throws Exception {
        LeaseTable table = table(2_000);
        table.endLease(running(table, 1), LeaseEndReason.RELEASED);
        CompletableFuture<Void> second = reserveAsync(table, 2);
        assertThrows(TimeoutException.class, () -> second.get(200, TimeUnit.MILLISECONDS));
        long t0 = System.nanoTime();
        table.shutDown();
        assertEquals(AllocationRefusal.SHUTTING_DOWN, refusal(second).refusal());
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(millis < 1_000, "refused " + millis + " ms after the shutdown");
        assertFalse(table.freeCores() < 0);
    }
}
