package org.rfaas.executormanager;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.rfaas.protocol.AccountingCounters;
import org.rfaas.protocol.LeaseAccounting;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.protocol.lease.LeaseClaims;
import org.rfaas.transport.Connection;
import org.rfaas.transport.TransportException;

/**
 * One lease being served: its claims, the client's control connection, the executor process and
 * its accounting connection. All mutation happens under the instance lock (control plane only).
 */
final class ManagedLease {
    enum State { STARTING, RUNNING, STOPPING, ENDED }

    final LeaseClaims claims;
    final Connection client;
    final MemorySegment clientBuffer;
    final Path directory;
    /** When the allocation request arrived (the start of the cold start). */
    final long requestNanos;
    final long spawnNanos;
    final long spawnEpochMillis;
    Process process;
    Connection executor;
    MemorySegment executorBuffer;
    State state = State.STARTING;
    LeaseEndReason endReason;
    LeaseAccounting accounting;
    /** Current expiry: the token's, or later after a renewal at the resource manager. */
    volatile long expiresAtEpochMillis;
    /** Counter values read when the accounting connection ended (its memory is freed on close). */
    long[] finalCounters;
    /** The executor's CPU time as the kernel counts it, from its assignment on; null before. */
    CpuMeter cpu;
    long cpuAtAssignment;
    /** The last CPU reading, kept for when the meter can no longer be read (the process is gone). */
    long lastCpuNanos;
    /** The sandboxed executor's cgroup (its memory-limit events), or null. */
    ExecutorCgroup cgroup;
    /** Frees the executor's sandbox once the lease is accounted; null without one. */
    Runnable releaseSandbox;

    ManagedLease(LeaseClaims claims, Connection client, MemorySegment clientBuffer, Path directory, long requestNanos) {
        this.claims = claims;
        this.requestNanos = requestNanos;
        this.expiresAtEpochMillis = claims.expiresAtEpochMillis();
        this.client = client;
        this.clientBuffer = clientBuffer;
        this.directory = directory;
        this.spawnNanos = System.nanoTime();
        this.spawnEpochMillis = System.currentTimeMillis();
    }

    /** Whether the lease is serving calls (its executor attached, not told to stop). */
    synchronized boolean isRunning() {
        return state == State.RUNNING;
    }

    /**
     * Reads the executor's counters; call while the accounting connection is open. The invocation
     * count is read first: the executor sends it after the failures and compute time it implies.
     */
    synchronized long[] readCounters() {
        long[] v = new long[AccountingCounters.COUNT];
        if (executor != null && executor.isOpen()) {
            for (int p = 0; p < v.length; p++) {
                int i = AccountingCounters.readOrder(p);
                try {
                    v[i] = Math.max(0, executor.localCounter(i));
                } catch (TransportException | IllegalStateException e) {
                    v[i] = 0;
                }
            }
        }
        return v;
    }

    long id() {
        return claims.leaseId();
    }

    /** Whether the lease was told to stop, or ended and is giving its capacity back. */
    synchronized boolean isStopping() {
        return state == State.STOPPING || state == State.ENDED;
    }

    /** Whether the lease ended (accounted, its client told). */
    synchronized boolean hasEnded() {
        return state == State.ENDED;
    }

    LeaseRecord record() {
        Process p = process;
        return new LeaseRecord(claims, p == null ? -1 : p.pid(), spawnEpochMillis);
    }

    /** Starts measuring the executor's CPU time (it has just been assigned this lease). */
    synchronized void meter(CpuMeter meter) {
        cpu = meter;
        cpuAtAssignment = Math.max(0, meter.cpuNanos());
    }

    /** CPU time the executor used since its assignment, as the kernel counts it (0 before). */
    synchronized long measuredCpuNanos() {
        if (cpu == null) {
            return 0;
        }
        long now = cpu.cpuNanos();
        if (now >= 0) {
            lastCpuNanos = Math.max(0, now - cpuAtAssignment);
        }
        return lastCpuNanos;
    }

    /**
     * The bill so far: the allocation time until now, and the executor's counters, which it
     * reports itself and so are only trusted where they cost the tenant more. Each is capped at
     * what the lease's cores could have spent (a forged or overflowed counter bills no more than
     * that), and compute time is at least the CPU time the kernel measured outside hot polling: a
     * function that zeroes the counters, or burns CPU in threads of its own, is billed for it.
     */
    synchronized LeaseAccounting snapshot(long endNanos) {
        long[] v = finalCounters != null ? finalCounters : readCounters();
        long allocation = Math.max(0, endNanos - spawnNanos);
        long cap = allocation * claims.cores();
        long hotPoll = Math.min(v[AccountingCounters.HOT_POLL_NANOS], cap);
        long compute = Math.min(v[AccountingCounters.COMPUTE_NANOS], cap);
        compute = Math.max(compute, measuredCpuNanos() - hotPoll);
        return new LeaseAccounting(allocation, compute, hotPoll, v[AccountingCounters.INVOCATIONS],
                v[AccountingCounters.FAILED_INVOCATIONS]);
    }
}
