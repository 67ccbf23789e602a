package org.rfaas.executor;

import java.util.concurrent.atomic.AtomicLongArray;
import org.rfaas.protocol.AccountingCounters;

/**
 * A worker's accounting totals. The worker is the only writer (ordered stores, no atomics on the
 * hot path); the executor's flusher reads them and sends deltas to the manager.
 *
 * <p>An invocation's compute time and failure are stored before its count, so a reader that reads
 * {@link AccountingCounters#INVOCATIONS} first sees everything the invocations it counts brought
 * ({@link AccountingFlusher} keeps that order on the way to the manager).
 */
final class WorkerCounters {
    private final AtomicLongArray values = new AtomicLongArray(AccountingCounters.COUNT);

    /** Single-writer add: a plain read plus an ordered store, no lock, no CAS. */
    void add(int counter, long delta) {
        values.lazySet(counter, values.get(counter) + delta);
    }

    /** Bills one invocation: its compute time, its failure if it failed, then its count. */
    void invocation(long computeNanos, boolean failed) {
        add(AccountingCounters.COMPUTE_NANOS, computeNanos);
        if (failed) {
            add(AccountingCounters.FAILED_INVOCATIONS, 1);
        }
        add(AccountingCounters.INVOCATIONS, 1);
    }

    long get(int counter) {
        return values.get(counter);
    }
}
