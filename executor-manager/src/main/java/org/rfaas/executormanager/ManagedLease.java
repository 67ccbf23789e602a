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

    /** Reads the executor's counters; call while the accounting connection is open. */
    synchronized long[] readCounters() {
        long[] v = new long[AccountingCounters.COUNT];
        if (executor != null && executor.isOpen()) {
            for (int i = 0; i < v.length; i++) {
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

    LeaseRecord record() {
        Process p = process;
        return new LeaseRecord(claims, p == null ? -1 : p.pid(), spawnEpochMillis);
    }

    /** The totals the executor flushed so far, plus the allocation time until now. */
    synchronized LeaseAccounting snapshot(long endNanos) {
        long[] v = finalCounters != null ? finalCounters : readCounters();
        return new LeaseAccounting(Math.max(0, endNanos - spawnNanos), v[AccountingCounters.COMPUTE_NANOS],
                v[AccountingCounters.HOT_POLL_NANOS], v[AccountingCounters.INVOCATIONS],
                v[AccountingCounters.FAILED_INVOCATIONS]);
    }
}
