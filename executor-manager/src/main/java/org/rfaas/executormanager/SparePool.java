package org.rfaas.executormanager;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.rfaas.protocol.PackageDigest;

/**
 * The spare executors: JVMs started ahead of demand, with the heap sizes leased lately, so that a
 * cold start skips the JVM's boot. Decides how many there are, of which size, which one a lease
 * takes, and when the next one may boot (not beside a cold start in progress, at most one per
 * core at once); starting the JVM itself is the {@code launch} function's job.
 *
 * <p>Threads: called from connection threads, the timer and process-exit callbacks; all state is
 * guarded by the {@link #spares} list's lock, each spare's fields by the spare's own lock (taken
 * inside the list's, never the other way round). Launches run on the timer.
 */
final class SparePool {
    /** Spare JVMs booting at once: one per core; more only slow each other and the leases starting. */
    private static final int MAX_BOOTING = Math.max(1, Runtime.getRuntime().availableProcessors());
    /** How long a starting lease holds back spare boots at most, should its executor never report ready. */
    static final long READY_WAIT_MILLIS = 5_000;
    /**
     * How long spare boots still wait after a lease's executor reported ready: its client's first
     * call follows within a few ms, and a JVM booting beside it on a small node made that call (and
     * the client's reading of the workers' hellos) several ms slower.
     */
    static final long FIRST_CALL_GRACE_MILLIS = 30;

    private final ExecutorManagerConfig config;
    private final ScheduledExecutorService timer;
    private final BiConsumer<LaunchedExecutor, String> launch;
    /** Spare executors, oldest first (at most {@link ExecutorManagerConfig#spareExecutors()}). */
    private final List<LaunchedExecutor> spares = new ArrayList<>();
    /** Spares registered but not launched yet, with their manager address. */
    private final ArrayDeque<Map.Entry<LaunchedExecutor, String>> toLaunch = new ArrayDeque<>();
    /** Spares whose JVM is booting: at most {@link #MAX_BOOTING}. */
    private final List<LaunchedExecutor> booting = new ArrayList<>();
    /**
     * Leases whose executor has not yet reported its workers connected; while there is one, and a
     * connected spare is still waiting for the next lease, no spare JVM starts booting.
     */
    private final Set<Long> startingLeases = new HashSet<>();
    /** {@link #READY_WAIT_MILLIS}; longer in tests that hold a lease in its start on purpose. */
    private volatile long readyWaitMillis = READY_WAIT_MILLIS;
    /** {@link #FIRST_CALL_GRACE_MILLIS}; longer in tests. */
    private volatile long firstCallGraceMillis = FIRST_CALL_GRACE_MILLIS;
    private boolean closed;

    /**
     * @param launch starts a spare's JVM (called on the timer thread) with the address it connects
     *     to; it calls {@link #booted} when the spare connected, died or could not start
     */
    SparePool(ExecutorManagerConfig config, ScheduledExecutorService timer, BiConsumer<LaunchedExecutor, String> launch) {
        this.config = config;
        this.timer = timer;
        this.launch = launch;
    }

    /** Tests: how long a starting lease may hold back spare boots. */
    void readyWait(Duration wait) {
        readyWaitMillis = wait.toMillis();
    }

    /** Tests: how long spare boots wait after a lease's executor reported ready. */
    void firstCallGrace(Duration grace) {
        firstCallGraceMillis = grace.toMillis();
    }

    /** Lease {@code leaseId} is starting: spare boots wait until it is connected, or for a while. */
    void leaseStarting(long leaseId) {
        synchronized (spares) {
            startingLeases.add(leaseId);
        }
        try {
            timer.schedule(() -> leaseConnected(leaseId), readyWaitMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // The manager is closing: no spare boots any more.
        }
    }

    /**
     * The executor of lease {@code leaseId} reported its workers connected: spare boots held back
     * for it may start after {@link #FIRST_CALL_GRACE_MILLIS}, when its first call is served.
     */
    void leaseReady(long leaseId) {
        try {
            timer.schedule(() -> leaseConnected(leaseId), firstCallGraceMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // The manager is closing: no spare boots any more.
        }
    }

    /**
     * The lease {@code leaseId} is under way (its first call's grace passed), or ended, or the
     * ready wait passed: spare boots held back for it may start.
     */
    void leaseConnected(long leaseId) {
        boolean was;
        synchronized (spares) {
            was = startingLeases.remove(leaseId);
        }
        if (was) {
            launchNext();
        }
    }

    /**
     * Takes a spare of this heap size for a lease of {@code pkg}: a connected one if there is one
     * (one that preloaded this package first, then the oldest), else the oldest still booting;
     * {@code null} when there is none. A spare that preloaded another package is never taken: its
     * classes stay in that JVM's memory until collected, where this lease's native code could read
     * another tenant's code. When such a spare is all there is, it is retired, so that the spare
     * booted in its place preloads the node's most recent package (this lease's).
     */
    LaunchedExecutor take(long memoryMiB, PackageDigest pkg) {
        synchronized (spares) {
            LaunchedExecutor bootingOne = null;
            LaunchedExecutor best = null;
            LaunchedExecutor otherPackage = null;
            int bestRank = Integer.MAX_VALUE;
            for (LaunchedExecutor s : spares) {
                synchronized (s) {
                    if (s.memoryMiB != memoryMiB || s.process == null || !s.process.isAlive()) {
                        continue;
                    }
                    int rank = preloadRank(s.preloaded, pkg);
                    if (rank == OTHER_PACKAGE) {
                        otherPackage = otherPackage == null ? s : otherPackage;
                    } else if (s.connection != null) {
                        if (rank < bestRank) {
                            best = s;
                            bestRank = rank;
                        }
                    } else if (bootingOne == null) {
                        bootingOne = s;
                    }
                }
            }
            LaunchedExecutor taken = best != null ? best : bootingOne;
            if (taken != null) {
                spares.remove(taken);
            } else if (otherPackage != null) {
                spares.remove(otherPackage);
                retire(otherPackage, false);
            }
            return taken;
        }
    }

    /** {@link #preloadRank} of a spare that preloaded another package than the lease's: not to be taken. */
    static final int OTHER_PACKAGE = 2;

    /**
     * How well a spare that preloaded {@code preloaded} (or nothing) suits a lease of {@code pkg},
     * lower is better: 0 for one that preloaded this package (it reuses the classes), 1 for one
     * that preloaded nothing, {@link #OTHER_PACKAGE} for one that preloaded another package.
     */
    static int preloadRank(PackageDigest preloaded, PackageDigest pkg) {
        if (preloaded == null) {
            return 1;
        }
        return preloaded.equals(pkg) && !pkg.isNone() ? 0 : OTHER_PACKAGE;
    }

    /**
     * Tops the spares up to {@link ExecutorManagerConfig#spareExecutors()} with executors of this
     * heap size (the one just asked for). When the lease found no ready spare of its size
     * ({@code starved}), the oldest spare of another size gives up its place: demand for this size
     * outran the spares, while that one sat idle. (Leases of sizes that alternate each find their
     * own spare ready, so they do not push each other out.) The spares are registered here, at once,
     * so that the next lease sees them; their JVMs start on the timer thread, so that the lease's
     * answer does not wait for a fork.
     */
    void ensure(long memoryMiB, String managerAddress, boolean starved) {
        synchronized (spares) {
            if (config.spareExecutors() == 0 || closed) {
                return;
            }
            if (starved) {
                for (LaunchedExecutor other : spares) {
                    if (other.memoryMiB != memoryMiB) {
                        spares.remove(other);
                        retire(other, false);
                        break;
                    }
                }
            }
            while (spares.size() < config.spareExecutors()) {
                LaunchedExecutor spare = LaunchedExecutor.spare(memoryMiB);
                spares.add(spare);
                toLaunch.add(Map.entry(spare, managerAddress));
            }
        }
        launchNext();
    }

    /**
     * Launches registered spares while fewer than {@link #MAX_BOOTING} are booting: JVMs booting
     * beyond one per core take longer each, so the first spare is ready later, and every boot
     * competes with the cold starts in progress. (One at a time was measured too: the spares then
     * fell behind back-to-back allocations, median cold start ~180 ms instead of ~80 ms.)
     */
    private void launchNext() {
        while (launchOne()) {
            // until the limit or the queue is reached
        }
    }

    private boolean launchOne() {
        Map.Entry<LaunchedExecutor, String> next = null;
        synchronized (spares) {
            if (booting.size() >= MAX_BOOTING || closed || deferBoots()) {
                return false;
            }
            while (next == null && !toLaunch.isEmpty()) {
                Map.Entry<LaunchedExecutor, String> e = toLaunch.poll();
                synchronized (e.getKey()) {
                    if (!e.getKey().retired) {
                        next = e;
                    }
                }
            }
            if (next == null) {
                return false;
            }
            booting.add(next.getKey());
        }
        Map.Entry<LaunchedExecutor, String> chosen = next;
        try {
            timer.execute(() -> launch.accept(chosen.getKey(), chosen.getValue()));
        } catch (RejectedExecutionException closing) {
            booted(chosen.getKey());
            return false;
        }
        return true;
    }

    /**
     * A spare JVM booting takes a core for 150-300 ms: while a lease is starting it would slow that
     * cold start (measured: the cold start's own steps took 2-3x longer beside two booting JVMs on
     * 2 cores). So boots wait until the starting leases' workers are connected, unless no connected
     * spare is left: then the next lease waits for a boot anyway, and the boot must not wait.
     * Caller holds {@link #spares}.
     */
    private boolean deferBoots() {
        if (startingLeases.isEmpty()) {
            return false;
        }
        for (LaunchedExecutor s : spares) {
            synchronized (s) {
                if (s.connection != null && s.lease == null && !s.retired) {
                    return true;
                }
            }
        }
        return false;
    }

    /** {@code spare} connected, died or could not start: the next one may boot. */
    void booted(LaunchedExecutor spare) {
        synchronized (spares) {
            if (!booting.remove(spare)) {
                return;
            }
        }
        launchNext();
    }

    /** {@code spare}'s JVM is gone or never started: it is no longer one of the spares. */
    void remove(LaunchedExecutor spare) {
        synchronized (spares) {
            spares.remove(spare);
        }
        booted(spare);
    }

    /**
     * Each spare's CPU time so far, in nanoseconds by pid (-1 where unreadable): its sandbox
     * cgroup's (every thread and child, the sandbox launcher's too), else its JVM's, as a lease
     * on it is metered. Read outside the pool's lock.
     */
    Map<Long, Long> cpuNanos() {
        Map<Long, CpuMeter> meters = new HashMap<>();
        synchronized (spares) {
            for (LaunchedExecutor sp : spares) {
                synchronized (sp) {
                    if (sp.process != null) {
                        long pid = sp.process.pid();
                        meters.put(pid, sp.cgroup != null ? CpuMeter.of(sp.cgroup) : CpuMeter.ofProcess(pid));
                    }
                }
            }
        }
        Map<Long, Long> out = new HashMap<>();
        meters.forEach((pid, meter) -> out.put(pid, meter.cpuNanos()));
        return out;
    }

    /** Process ids of the spares (connected or still booting), oldest first. */
    List<Long> pids() {
        List<Long> pids = new ArrayList<>();
        synchronized (spares) {
            for (LaunchedExecutor sp : spares) {
                synchronized (sp) {
                    if (sp.process != null) {
                        pids.add(sp.process.pid());
                    }
                }
            }
        }
        return pids;
    }

    /** Spares connected and waiting for a lease. */
    int connectedCount() {
        int n = 0;
        synchronized (spares) {
            for (LaunchedExecutor sp : spares) {
                synchronized (sp) {
                    if (sp.connection != null && sp.lease == null) {
                        n++;
                    }
                }
            }
        }
        return n;
    }

    /** Stops every spare (the manager closes); none starts any more. */
    void close() {
        synchronized (spares) {
            closed = true;
            for (LaunchedExecutor spare : spares) {
                retire(spare, true);
            }
            spares.clear();
            toLaunch.clear();
        }
    }

    /** A spare that is no longer wanted: stopped now, or as soon as its JVM exists. */
    private static void retire(LaunchedExecutor spare, boolean forcibly) {
        synchronized (spare) {
            spare.retired = true;
            if (spare.process != null) {
                if (forcibly) {
                    spare.process.destroyForcibly();
                } else {
                    spare.process.destroy();
                }
            }
        }
    }
}
