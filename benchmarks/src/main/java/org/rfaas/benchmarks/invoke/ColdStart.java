package org.rfaas.benchmarks.invoke;

import org.rfaas.benchmarks.common.Affinity;
import org.rfaas.demo.support.LatencyStats;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.InvocationSlot;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.client.WaitMode;
import org.rfaas.transport.HandshakeRehearsal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Cold starts: allocation request → first result, repeated on a running executor manager, split
 * into phases. The client's first allocation, which also starts the client's own code, is not
 * counted ({@link #warmUp}); it warms the client's invocation path
 * ({@link RfaasClient.Builder#warmUp}), as a latency-sensitive client would.
 *
 * <p>On one host, the client's thread is then pinned to the last CPU: a sandboxed lease takes the
 * node's least-used CPU, the lowest first (CPU 0 here, the node being settled), and the client of
 * a lease runs on another host. Unpinned, the client's thread shares a CPU with the worker's spin
 * now and then, and the first call waits for a time slice (measured in a trace: the first call
 * 1.3 ms median unpinned, 0.2 ms pinned).
 *
 * <ul>
 *   <li>{@code lease}: obtaining the lease from the lease source;</li>
 *   <li>{@code request+code}: the allocation request and the function package travelling to the
 *       manager, until it spawned the executor (the manager's clock, see {@link LocalNode});</li>
 *   <li>{@code spawn+connect}: the executor JVM starting, loading the package, and every worker
 *       connecting back to the client;</li>
 *   <li>{@code first-invocation}: the first call on the fresh executor;</li>
 *   <li>{@code total}: allocation request → first result.</li>
 * </ul>
 */
public final class ColdStart {
    /** Phase names, in order. */
    public static final List<String> PHASES = List.of("lease", "request+code", "spawn+connect", "first-invocation", "total");

    private ColdStart() {
    }

    /**
     * Loopback calls that warm the client's invocation path at its first allocation (and as many
     * handshakes as {@link HandshakeRehearsal} makes by default warm its end of the connections).
     */
    private static final int CLIENT_WARM_UP_CALLS = 10_000;

    /**
     * Longest wait for the node to settle before one allocation; it is measured anyway after that.
     * A spare's boot and serving rehearsal take ~3 s on an idle 2-vCPU node, and more under load (a
     * 10 s limit was passed once in 12 starts of a loaded `bench all`).
     */
    private static final Duration SETTLE_LIMIT = Duration.ofSeconds(20);

    /**
     * Runs {@code allocations} cold starts of one core on {@code node}; returns per-phase statistics.
     *
     * <p>Each allocation starts on a settled node ({@link LocalNode#awaitSettled}): the previous
     * allocation's replacement spare has booted and the previous executor has exited. Back to back,
     * the allocations would measure the cores shared with those JVMs instead, several times slower
     * on a small machine (docs/executor-performance.md).
     */
    public static Map<String, LatencyStats> measure(LocalNode node, FunctionPackage pkg, int allocations)
            throws InterruptedException {
        LocalNode.TimedLeases leases = new LocalNode.TimedLeases(node.database());
        Map<String, long[]> samples = new LinkedHashMap<>();
        PHASES.forEach(p -> samples.put(p, new long[allocations]));
        int splitMissing = 0;
        int unsettled = 0;
        // Releases run in the background: a cold start ends at the first result, and a slow release
        // confirmation must not stretch the benchmark (nor delay the next allocation's clock).
        List<Thread> releases = new ArrayList<>();
        Optional<byte[]> unpinned = Optional.empty();
        try (RfaasClient client = node.client(leases, CLIENT_WARM_UP_CALLS, HandshakeRehearsal.DEFAULT_HANDSHAKES)) {
            warmUp(node, client, pkg);
            if (Affinity.availableCpus() >= 2) {
                unpinned = Affinity.pinCurrentThread(Affinity.availableCpus() - 1);
            }
            for (int i = 0; i < allocations; i++) {
                if (!node.awaitSettled(SETTLE_LIMIT)) {
                    unsettled++;
                }
                long startMicros = epochMicros();
                long t0 = System.nanoTime();
                RemoteExecutor executor = client.allocate(AllocationSpec.of(1, 256, HotTimeout.ofMicros(20_000), pkg, 64, 64));
                try {
                    long t1 = System.nanoTime();
                    long allocatedMicros = epochMicros();
                    int noop = executor.functionIndex("noop");
                    try (InvocationSlot s = executor.acquireSlot()) {
                        s.invoke(noop, 0, 64, WaitMode.HOT);
                    }
                    long t2 = System.nanoTime();
                    long lease = leases.lastNanos();
                    Long spawned = node.spawnedAtMicros(executor.leaseId());
                    long request;
                    long spawn;
                    if (spawned != null && spawned >= startMicros && spawned <= allocatedMicros) {
                        request = Math.max(0, (spawned - startMicros) * 1000 - lease);
                        spawn = (allocatedMicros - spawned) * 1000;
                    } else {
                        // The manager's line has not arrived: count the whole allocation as spawn+connect.
                        splitMissing++;
                        request = 0;
                        spawn = t1 - t0 - lease;
                    }
                    samples.get("lease")[i] = lease;
                    samples.get("request+code")[i] = request;
                    samples.get("spawn+connect")[i] = spawn;
                    samples.get("first-invocation")[i] = t2 - t1;
                    samples.get("total")[i] = t2 - t0;
                } finally {
                    releases.add(Thread.ofVirtual().name("release-" + executor.leaseId()).start(executor::close));
                }
            }
            for (Thread t : releases) {
                try {
                    t.join(Duration.ofSeconds(30));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        } finally {
            unpinned.ifPresent(Affinity::restore);
        }
        if (unsettled > 0) {
            org.slf4j.LoggerFactory.getLogger(ColdStart.class).warn(
                    "{} of {} cold starts began on a node still booting spares (not settled within {} s)", unsettled,
                    allocations, SETTLE_LIMIT.toSeconds());
        }
        if (splitMissing > 0) {
            org.slf4j.LoggerFactory.getLogger(ColdStart.class).warn(
                    "{} of {} cold starts lacked the manager's spawn time; their request phase counts as spawn", splitMissing,
                    allocations);
        }
        Map<String, LatencyStats> out = new LinkedHashMap<>();
        samples.forEach((phase, v) -> out.put(phase, stats(v)));
        return out;
    }

    /**
     * One untimed allocation and call first: a client process's first allocation also opens its
     * transport and runs the client's code for the first time (60-170 ms here), which a long-lived
     * client pays once, not per cold start.
     */
    private static void warmUp(LocalNode node, RfaasClient client, FunctionPackage pkg) throws InterruptedException {
        node.awaitSettled(SETTLE_LIMIT);
        try (RemoteExecutor executor = client.allocate(AllocationSpec.of(1, 256, HotTimeout.ofMicros(20_000), pkg, 64,
                64)); InvocationSlot s = executor.acquireSlot()) {
            s.invoke(executor.functionIndex("noop"), 0, 64, WaitMode.HOT);
        }
    }

    private static LatencyStats stats(long[] v) {
        var h = LatencyStats.newHistogram();
        for (long x : v) {
            h.recordValue(Math.max(1, Math.min(LatencyStats.HISTOGRAM_MAX_NS, x)));
        }
        return LatencyStats.of(h);
    }

    private static long epochMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
    }
}
