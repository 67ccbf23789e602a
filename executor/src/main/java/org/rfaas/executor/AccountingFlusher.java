package org.rfaas.executor;

import java.util.ArrayList;
import java.util.List;
import org.rfaas.protocol.AccountingCounters;
import org.rfaas.transport.TransportException;

/**
 * Sends the workers' accounting as deltas to the manager's counters, so that the manager never
 * shows an invocation without its failure or compute time: the invocation count is read first and
 * sent last (a scrape between two fetch-and-adds once saw 25 invocations and none of their 3
 * failures). One thread adds the workers and flushes: the executor's supervising thread.
 */
final class AccountingFlusher {
    /** Where the deltas go: the manager connection's remote fetch-and-add. */
    @FunctionalInterface
    interface Sink {
        void add(int counter, long delta) throws TransportException;
    }

    private final List<WorkerCounters> workers = new ArrayList<>();
    private final long[] totals = new long[AccountingCounters.COUNT];
    private final long[] flushed = new long[AccountingCounters.COUNT];

    /** Counts {@code counters}' totals from the next flush on. */
    void add(WorkerCounters counters) {
        workers.add(counters);
    }

    /**
     * Sends what the workers accumulated since the last flush that went through. A failed send
     * stops this flush; the next one sends the rest.
     *
     * @throws TransportException from the sink; what was sent before it stays flushed
     */
    void flush(Sink sink) throws TransportException {
        for (int p = 0; p < AccountingCounters.COUNT; p++) {
            int counter = AccountingCounters.readOrder(p);
            long total = 0;
            for (WorkerCounters w : workers) {
                total += w.get(counter);
            }
            totals[counter] = total;
        }
        // The read order with its first counter, the count, moved last: sent after what it implies.
        for (int p = 1; p <= AccountingCounters.COUNT; p++) {
            int counter = AccountingCounters.readOrder(p % AccountingCounters.COUNT);
            long delta = totals[counter] - flushed[counter];
            if (delta != 0) {
                sink.add(counter, delta);
                flushed[counter] = totals[counter];
            }
        }
    }
}
