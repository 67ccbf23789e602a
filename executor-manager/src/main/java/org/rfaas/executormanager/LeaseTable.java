package org.rfaas.executormanager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.rfaas.protocol.AccountingCounters;
import org.rfaas.protocol.AllocationRefusal;
import org.rfaas.protocol.ExecutorShape;
import org.rfaas.protocol.ExecutorShutdown;
import org.rfaas.protocol.LeaseAccounting;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.protocol.LeaseEnded;
import org.rfaas.protocol.lease.LeaseClaims;
import org.rfaas.transport.Connection;
import org.rfaas.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leases this manager serves and the node's capacity: reserving capacity for a request, each
 * lease's expiry, ending a lease (the executor is told first, SIGTERM after a grace period, SIGKILL
 * after another), and once its executor is gone the final accounting, the client's
 * {@link LeaseEnded} and the {@link LeaseListener}s.
 *
 * <p>Threads: called from connection threads, process-exit callbacks and the manager's timer
 * (expiry, stop escalation); the table is concurrent, the capacity guarded by this object, each
 * lease's fields by the lease's own lock (taken with this object's held, never the other way round).
 */
final class LeaseTable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseTable.class);
    /** The client's receive slot for {@link LeaseEnded} (slot 0 carries the allocation answers). */
    static final int CLIENT_LEASE_END_SLOT = 1;
    static final int ENDED_HISTORY = 1000;
    /** How the lease-end message of an executor killed for its memory starts (the client types it by this). */
    static final String MEMORY_LIMIT_DETAIL = "memory limit exceeded";

    private final ExecutorManagerConfig config;
    private final ScheduledExecutorService timer;
    /** Told when a lease's start is over (connected or ended): spare boots may go on. */
    private final LongConsumer startOver;
    private final List<LeaseListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<Long, ManagedLease> leases = new ConcurrentHashMap<>();
    /**
     * Leases that were given an executor here, with the latest expiry of their tokens: a token is
     * good for one allocation, so a released lease's token cannot be replayed for another executor
     * while it would still verify. Guarded by this.
     */
    private final Map<Long, Long> spent = new java.util.HashMap<>();
    private int spentPruneAt = 1024;
    private final Map<Long, LeaseAccounting> ended = Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, false) {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<Long, LeaseAccounting> eldest) {
                    return size() > ENDED_HISTORY;
                }
            });
    private int usedCores;
    private long usedMemoryMiB;
    private boolean shuttingDown;

    LeaseTable(ExecutorManagerConfig config, ScheduledExecutorService timer, LongConsumer startOver) {
        this.config = config;
        this.timer = timer;
        this.startOver = startOver;
    }

    void addListener(LeaseListener listener) {
        listeners.add(listener);
    }

    ManagedLease get(long leaseId) {
        return leases.get(leaseId);
    }

    Collection<ManagedLease> all() {
        return leases.values();
    }

    /** A lease that holds the capacity reserved for it; {@link #finish} gives it back. */
    void add(ManagedLease lease) {
        leases.put(lease.id(), lease);
    }

    /** Final accounting of a lease that ended (the last {@value #ENDED_HISTORY} are kept). */
    LeaseAccounting endedAccounting(long leaseId) {
        return ended.get(leaseId);
    }

    synchronized int freeCores() {
        return config.cores() - usedCores;
    }

    synchronized long freeMemoryMiB() {
        return config.memoryMiB() - usedMemoryMiB;
    }

    /** No capacity is reserved any more (the manager closes). */
    synchronized void shutDown() {
        shuttingDown = true;
        notifyAll(); // requests waiting for stopping leases are refused now
    }

    /**
     * Reserves the shape's cores and memory for lease {@code claims}, or refuses. When the capacity
     * may free up soon ({@link #mayFreeUp}), waits for it, at most a lease's stop (and a heartbeat):
     * the resource manager frees a lease's capacity as the lease is released or revoked there,
     * before its executor here has stopped, and may grant it again at once.
     */
    synchronized void reserve(LeaseClaims claims, ExecutorShape shape) {
        long deadline = 0;
        while (true) {
            if (shuttingDown) {
                throw new LeaseRefusedException(AllocationRefusal.SHUTTING_DOWN, "executor manager " + config.node()
                        + " is shutting down");
            }
            if (leases.containsKey(claims.leaseId())) {
                throw new LeaseRefusedException(AllocationRefusal.INVALID_LEASE, "lease " + claims.leaseId()
                        + " already has an executor here");
            }
            if (spent.containsKey(claims.leaseId())) {
                throw new LeaseRefusedException(AllocationRefusal.INVALID_LEASE, "lease " + claims.leaseId()
                        + " had its executor here and ended: a lease token serves one allocation");
            }
            if (usedCores + shape.cores() <= config.cores() && usedMemoryMiB + shape.memoryMiB() <= config.memoryMiB()) {
                break;
            }
            long now = System.nanoTime();
            if (deadline == 0) {
                deadline = now + TimeUnit.MILLISECONDS.toNanos(capacityWaitMillis());
            }
            long left = deadline - now;
            if (left <= 0 || !mayFreeUp(shape)) {
                throw new LeaseRefusedException(AllocationRefusal.INSUFFICIENT_CAPACITY, "node " + config.node()
                        + " has " + (config.cores() - usedCores) + " free cores and "
                        + (config.memoryMiB() - usedMemoryMiB) + " MiB free; asked for " + shape.cores()
                        + " cores and " + shape.memoryMiB() + " MiB");
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left); // unreserve notifies
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LeaseRefusedException(AllocationRefusal.SHUTTING_DOWN, "executor manager " + config.node()
                        + " was interrupted while waiting for stopping leases");
            }
        }
        usedCores += shape.cores();
        usedMemoryMiB += shape.memoryMiB();
        forgetSpentBefore(System.currentTimeMillis());
        spent.put(claims.leaseId(), claims.expiresAtEpochMillis());
    }

    /**
     * Whether waiting may make room for {@code shape} (lock held): leases that are stopping hold
     * the capacity, or a resource manager granted it. Its grant says the capacity is free there; a
     * lease released or revoked at the resource manager starts to stop here only at its client's
     * release or at the link's next heartbeat.
     */
    private boolean mayFreeUp(ExecutorShape shape) {
        if (shape.cores() > config.cores() || shape.memoryMiB() > config.memoryMiB()) {
            return false;
        }
        return config.resourceManager() != null || fitsOnceStopped(shape);
    }

    /** How long a request waits for capacity to free up: a lease's stop, and the heartbeat that may start it. */
    private long capacityWaitMillis() {
        ResourceManagerLinkConfig rm = config.resourceManager();
        return config.stopBoundMillis() + (rm == null ? 0 : rm.heartbeatMillis());
    }

    /** Whether {@code shape} fits once the leases that are stopping gave their capacity back (lock held). */
    private boolean fitsOnceStopped(ExecutorShape shape) {
        int cores = usedCores;
        long memory = usedMemoryMiB;
        for (ManagedLease l : leases.values()) {
            if (l.isStopping()) {
                cores -= l.claims.cores();
                memory -= l.claims.memoryMiB();
            }
        }
        return cores + shape.cores() <= config.cores() && memory + shape.memoryMiB() <= config.memoryMiB();
    }

    /** Gives back the capacity of a lease that ended (its token stays spent). */
    synchronized void unreserve(LeaseClaims claims) {
        usedCores -= claims.cores();
        usedMemoryMiB -= claims.memoryMiB();
        notifyAll();
    }

    /** Gives back a reservation whose allocation failed before it was accepted: the token may be used again. */
    synchronized void cancelReservation(LeaseClaims claims) {
        unreserve(claims);
        spent.remove(claims.leaseId());
    }

    /** Past its expiry no token of a lease verifies any more: its entry can go. */
    private void forgetSpentBefore(long now) {
        if (spent.size() >= spentPruneAt) {
            spent.values().removeIf(expires -> expires <= now);
            spentPruneAt = Math.max(1024, 2 * spent.size());
        }
    }

    /**
     * Moves a lease's expiry later (a renewal at the resource manager); an earlier time is ignored.
     *
     * @return false when the lease is not served here
     */
    boolean extend(long leaseId, long expiresAtEpochMillis) {
        ManagedLease l = leases.get(leaseId);
        if (l == null) {
            return false;
        }
        synchronized (this) {
            spent.merge(leaseId, expiresAtEpochMillis, Math::max); // the renewed token is spent too
        }
        if (expiresAtEpochMillis > l.expiresAtEpochMillis) {
            l.expiresAtEpochMillis = expiresAtEpochMillis;
            LOG.info("lease {} renewed until {}", leaseId, java.time.Instant.ofEpochMilli(expiresAtEpochMillis));
        }
        return true;
    }

    /** Ends the lease at its (possibly extended) expiry. */
    void scheduleExpiry(ManagedLease lease) {
        long delay = lease.expiresAtEpochMillis - System.currentTimeMillis();
        if (delay <= 0) {
            endLease(lease, LeaseEndReason.EXPIRED);
        } else {
            timer.schedule(() -> scheduleExpiry(lease), delay, TimeUnit.MILLISECONDS);
        }
    }

    /** Tells the listeners that {@code lease} started. */
    void notifyStarted(ManagedLease lease) {
        for (LeaseListener l : listeners) {
            try {
                l.leaseStarted(lease.record());
            } catch (RuntimeException e) {
                LOG.error("lease listener {} failed on lease {}", l, lease.id(), e);
            }
        }
    }

    /** Tells the listeners that {@code lease}'s executor is ready (see {@link LeaseListener#executorReady}). */
    void notifyReady(ManagedLease lease, boolean spare) {
        long coldStart = System.nanoTime() - lease.requestNanos;
        for (LeaseListener l : listeners) {
            try {
                l.executorReady(lease.record(), coldStart, spare);
            } catch (RuntimeException e) {
                LOG.error("lease listener {} failed on lease {}", l, lease.id(), e);
            }
        }
    }

    /** Tells the listeners that an allocation request was refused. */
    void notifyRefused(AllocationRefusal refusal) {
        for (LeaseListener l : listeners) {
            try {
                l.allocationRefused(refusal);
            } catch (RuntimeException e) {
                LOG.error("lease listener {} failed on a refusal", l, e);
            }
        }
    }

    /** The lease's executor is connected: its counters are the lease's accounting. */
    void attachExecutor(ManagedLease lease, Connection c) {
        synchronized (lease) {
            if (lease.state != ManagedLease.State.STARTING) {
                LOG.warn("lease {}: executor connected while {}", lease.id(), lease.state);
            }
            lease.executor = c;
            lease.executorBuffer = c.allocateBuffer(64);
            if (lease.state == ManagedLease.State.STARTING) {
                lease.state = ManagedLease.State.RUNNING;
            } else if (lease.state == ManagedLease.State.STOPPING) {
                tellExecutor(lease);
            }
        }
    }

    /**
     * The lease's accounting connection {@code c} ended: its counters are read now, even after the
     * peer closed (the memory stays until we close).
     */
    void executorDisconnected(ManagedLease lease, Connection c) {
        long[] v = new long[AccountingCounters.COUNT];
        for (int i = 0; i < v.length; i++) {
            try {
                v[i] = Math.max(0, c.localCounter(i));
            } catch (RuntimeException e) {
                LOG.warn("lease {}: cannot read accounting counter {}: {}", lease.id(), i, e.getMessage());
            }
        }
        synchronized (lease) {
            lease.finalCounters = v;
        }
        lease.measuredCpuNanos(); // the last reading an unconfined executor's meter gives
    }

    /** Starts stopping a lease: tell the executor, then SIGTERM, then SIGKILL. Idempotent. */
    void endLease(ManagedLease lease, LeaseEndReason reason) {
        Process p;
        synchronized (lease) {
            if (lease.state == ManagedLease.State.STOPPING || lease.state == ManagedLease.State.ENDED) {
                return;
            }
            lease.state = ManagedLease.State.STOPPING;
            lease.endReason = reason;
            p = lease.process;
            if (lease.executor != null) {
                tellExecutor(lease);
            }
        }
        LOG.info("lease {} stopping: {}", lease.id(), reason);
        if (p == null) {
            return;
        }
        long grace = config.gracePeriodMillis();
        if (lease.executor == null) {
            p.destroy();
        }
        timer.schedule(() -> {
            if (p.isAlive()) {
                LOG.warn("lease {}: executor pid {} still running {} ms after being told to stop; SIGTERM", lease.id(),
                        p.pid(), grace);
                p.destroy();
                timer.schedule(() -> {
                    if (p.isAlive()) {
                        LOG.warn("lease {}: executor pid {} ignored SIGTERM; SIGKILL", lease.id(), p.pid());
                        p.destroyForcibly();
                    }
                }, grace, TimeUnit.MILLISECONDS);
            }
        }, grace, TimeUnit.MILLISECONDS);
    }

    /**
     * A lease whose executor could not be started: stop whatever process it has (its exit finishes
     * the lease and frees the capacity), or, with none, drop the lease and free its capacity now.
     */
    void abandon(ManagedLease lease) {
        Process p;
        synchronized (lease) {
            p = lease.process;
        }
        if (p != null) {
            endLease(lease, LeaseEndReason.ALLOCATION_FAILED);
            return;
        }
        synchronized (lease) {
            if (lease.state == ManagedLease.State.ENDED) {
                return;
            }
            lease.state = ManagedLease.State.ENDED;
        }
        if (leases.remove(lease.id(), lease)) {
            unreserve(lease.claims);
        }
        startOver.accept(lease.id()); // it will never report ready: spare boots need not wait for it
    }

    private static void tellExecutor(ManagedLease lease) {
        try {
            int length = ExecutorShutdown.write(lease.executorBuffer, 0, lease.endReason);
            lease.executor.write(0, lease.executorBuffer, 0, length, 0);
        } catch (TransportException | IllegalStateException e) {
            // IllegalStateException: the connection closed (its buffer with it) since the executor was
            // attached; the executor is gone or going, which is what telling it would achieve.
            LOG.debug("lease {}: cannot tell the executor to stop: {}", lease.id(), e.getMessage());
        }
    }

    void onExecutorExit(ManagedLease lease) {
        onExecutorExit(lease, 0);
    }

    /**
     * Finishes the lease once the accounting connection has also ended (its final counters read):
     * the process exit can be seen before the connection's end, so wait for it a little, on the timer.
     */
    private void onExecutorExit(ManagedLease lease, int attempt) {
        boolean waitForCounters;
        synchronized (lease) {
            waitForCounters = lease.executor != null && lease.finalCounters == null && attempt < 150;
        }
        if (waitForCounters) {
            timer.schedule(() -> onExecutorExit(lease, attempt + 1), 20, TimeUnit.MILLISECONDS);
            return;
        }
        try {
            handleExecutorExit(lease);
        } catch (RuntimeException e) {
            LOG.error("lease {}: failed to finish after the executor exited", lease.id(), e);
        }
    }

    private void handleExecutorExit(ManagedLease lease) {
        int code = lease.process.exitValue();
        LeaseEndReason reason;
        synchronized (lease) {
            reason = lease.state == ManagedLease.State.STOPPING ? lease.endReason
                    : lease.executor == null ? LeaseEndReason.ALLOCATION_FAILED : LeaseEndReason.EXECUTOR_DIED;
            lease.endReason = reason;
        }
        String detail = reason == LeaseEndReason.EXECUTOR_DIED || reason == LeaseEndReason.ALLOCATION_FAILED
                ? "executor exited with code " + code + lastLogLine(lease) : "";
        ExecutorCgroup cgroup = lease.cgroup;
        if (cgroup != null && cgroup.memoryLimitHit()) {
            // The kernel ended it for going over the lease's memory; the client gets a typed error.
            detail = MEMORY_LIMIT_DETAIL + " (" + (cgroup.memoryLimitBytes() >> 20)
                    + " MiB with the JVM's runtime allowance): the executor was killed; exit code " + code;
        }
        finish(lease, reason, detail);
    }

    private static String lastLogLine(ManagedLease lease) {
        try {
            List<String> lines = Files.readAllLines(lease.directory.resolve("executor.log"));
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).startsWith("rfaas-executor: ")) {
                    return ": " + lines.get(i).substring("rfaas-executor: ".length());
                }
            }
            return lines.isEmpty() ? "" : ": " + lines.getLast();
        } catch (IOException e) {
            return " (executor log unreadable: " + e.getMessage() + ")";
        }
    }

    /** The executor is gone: account, tell the client and the listeners, free the capacity. */
    private void finish(ManagedLease lease, LeaseEndReason reason, String detail) {
        LeaseAccounting accounting = lease.snapshot(System.nanoTime());
        Runnable release;
        synchronized (lease) {
            release = lease.releaseSandbox;
            lease.releaseSandbox = null;
        }
        if (release != null) {
            release.run(); // after the snapshot: the cgroup's CPU time is part of the bill
        }
        synchronized (lease) {
            if (lease.state == ManagedLease.State.ENDED) {
                return;
            }
            lease.state = ManagedLease.State.ENDED;
            lease.accounting = accounting;
            if (lease.executor != null) {
                lease.executor.close();
            }
        }
        // The bill first: whoever sees the lease gone (or its cores free) finds its accounting.
        ended.put(lease.id(), accounting);
        leases.remove(lease.id());
        unreserve(lease.claims);
        startOver.accept(lease.id());
        LOG.info("lease {} ended: {}{}; allocation {} ms, compute {} ms, hot polling {} ms, {} invocations ({} failed)",
                lease.id(), reason, detail.isEmpty() ? "" : " (" + detail + ")", accounting.allocationNanos() / 1_000_000,
                accounting.computeNanos() / 1_000_000, accounting.hotPollNanos() / 1_000_000, accounting.invocations(),
                accounting.failedInvocations());
        try {
            synchronized (lease.client) {
                if (lease.client.isOpen()) {
                    int length = new LeaseEnded(lease.id(), reason, accounting, detail).encode(lease.clientBuffer, 0);
                    lease.client.write(CLIENT_LEASE_END_SLOT, lease.clientBuffer, 0, length, 0);
                }
            }
        } catch (TransportException e) {
            LOG.debug("lease {}: cannot tell the client: {}", lease.id(), e.getMessage());
        }
        if (reason != LeaseEndReason.EXECUTOR_DIED && reason != LeaseEndReason.ALLOCATION_FAILED) {
            deleteLeaseDirectory(lease); // a failed lease keeps its package and executor.log for a post-mortem
        }
        for (LeaseListener l : listeners) {
            try {
                l.leaseEnded(lease.record(), reason, accounting);
            } catch (RuntimeException e) {
                LOG.error("lease listener {} failed on lease {}", l, lease.id(), e);
            }
        }
    }

    private static void deleteLeaseDirectory(ManagedLease lease) {
        try (var paths = Files.walk(lease.directory)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warn("lease {}: cannot delete {}: {}", lease.id(), lease.directory, e.getMessage());
        }
    }
}
