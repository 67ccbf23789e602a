package org.rfaas.executor;

import java.util.concurrent.atomic.AtomicLongArray;
import org.rfaas.protocol.AccountingCounters;

/**
 * A worker's accounting totals. The worker is the only writer (ordered stores, no atomics on the
 * hot path); the executor's flusher reads them and sends deltas to the manager.
 */
final class WorkerCounters {
    private final AtomicLongArray values = new AtomicLongArray(AccountingCounters.COUNT);

    /** Single-writer add: a plain read plus an ordered store, no lock, no CAS. */
    void add(int counter, long delta) {
        values.lazySet(counter, values.get(counter) + delta);
    }

    long get(int counter) {
        return values.get(counter);
    }
}
