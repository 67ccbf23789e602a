package org.rfaas.demo.support;

import org.rfaas.executormanager.ExecutorManager;

import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Whether an executor manager in a child JVM ({@link ChildJvm}) has finished its background work:
 * booting spare executors and training the executors' AOT cache. Each of those runs a JVM on the
 * machine's cores; a latency measured meanwhile measures the contention, not rFaaS (on a 2-core
 * machine a hot round trip gets several times slower). An allocation that takes a spare starts its
 * replacement, so a measurement waits for this after allocating.
 *
 * <p>The child reports with {@link #startReporting} (lines {@code STATE settled} and
 * {@code STATE busy <what>} on stdout, whenever that changes); the parent hands every line of the
 * child to {@link #accept} and waits with {@link #await}.
 */
public final class NodeSettling {
    private static final String PREFIX = "STATE ";
    private static final long PERIOD_MILLIS = 200;
    /**
     * How long the node must have been settled before a measurement starts: longer than the one
     * silence of a spare's serving rehearsal (~0.6 s, see the executor's SpareServingRehearsal),
     * during which the spare uses almost no CPU but has not finished preparing. With 300 ms, cold
     * starts began during that silence and paid for stopping the rehearsal (~5 ms of the spare's
     * CPU on the lease's core) and for a less compiled spare.
     */
    private static final long SETTLED_FOR_NANOS = 1_000_000_000L;
    /** A spare that used more than 10% of a core in a period is still busy. */
    private static final long BUSY_NANOS = PERIOD_MILLIS * 100_000L;

    private volatile boolean settled;
    private volatile long sinceNanos = System.nanoTime();
    private volatile String busy = "nothing reported yet";

    /**
     * Child side: a daemon thread that prints the state every time it changes. Busy while an AOT
     * cache training runs or a spare executor used more than 10% of a core in the last period (it
     * is still booting). Executors serving leases are not counted: a hot one spins by design.
     */
    public static void startReporting(ExecutorManager manager) {
        Thread.ofPlatform().daemon().name("node-state").start(() -> report(manager));
    }

    private static void report(ExecutorManager manager) {
        Map<Long, Long> lastCpu = Map.of();
        String last = null;
        while (true) {
            String what = null;
            OptionalLong training = manager.executorAotCacheTrainingPid();
            if (training.isPresent()) {
                what = "the executors' AOT cache is being trained (pid " + training.getAsLong() + ")";
            }
            Map<Long, Long> cpu = manager.spareExecutorCpuNanos();
            for (Map.Entry<Long, Long> spare : cpu.entrySet()) {
                Long before = lastCpu.get(spare.getKey());
                if (what == null && (before == null || spare.getValue() - before > BUSY_NANOS)) {
                    what = "spare executor pid " + spare.getKey() + " is booting";
                }
            }
            lastCpu = cpu;
            String line = what == null ? "settled" : "busy " + what;
            if (!line.equals(last)) {
                System.out.println(PREFIX + line);
                System.out.flush();
                last = line;
            }
            try {
                Thread.sleep(PERIOD_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Parent side: takes a line of the child; {@code true} when it was a state line. */
    public boolean accept(String line) {
        if (!line.startsWith(PREFIX)) {
            return false;
        }
        String state = line.substring(PREFIX.length());
        if (state.startsWith("busy")) {
            busy = state.substring("busy".length()).trim();
        }
        settled = state.equals("settled");
        sinceNanos = System.nanoTime();
        return true;
    }

    /**
     * Waits until the node has been settled for 300 ms. Returns false, and the caller measures on
     * a busy node (saying {@link #busy()}), when that did not happen within {@code max}.
     */
    public boolean await(Duration max) throws InterruptedException {
        long start = System.nanoTime();
        Thread.sleep(SETTLED_FOR_NANOS / 1_000_000); // a replacement spare starts within this
        while (System.nanoTime() - start < max.toNanos()) {
            if (settled && System.nanoTime() - sinceNanos >= SETTLED_FOR_NANOS) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** What the node was last busy with. */
    public String busy() {
        return busy;
    }
}
