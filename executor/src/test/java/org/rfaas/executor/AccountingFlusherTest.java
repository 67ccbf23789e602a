package org.rfaas.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.protocol.AccountingCounters;
import org.rfaas.transport.TransportException;

/**
 * The manager's counters never show an invocation without its failure and compute time, however a
 * scrape falls between the executor's fetch-and-adds (a metrics test once read 25 invocations and
 * 0 of their 3 failures).
 */
final class AccountingFlusherTest {

    @Test
    void theCountIsSentAfterWhatItImpliesAndOnlyDeltasAfterThat() {
        WorkerCounters a = new WorkerCounters();
        WorkerCounters b = new WorkerCounters();
        a.invocation(10, false);
        a.invocation(20, true);
        b.invocation(5, true);
        b.add(AccountingCounters.HOT_POLL_NANOS, 7);
        List<long[]> sent = new ArrayList<>();
        AccountingFlusher flusher = new AccountingFlusher();
        flusher.add(a);
        flusher.add(b);

        flusher.flush((counter, delta) -> sent.add(new long[] {counter, delta}));
        assertEquals(List.of(
                List.of((long) AccountingCounters.FAILED_INVOCATIONS, 2L),
                List.of((long) AccountingCounters.COMPUTE_NANOS, 35L),
                List.of((long) AccountingCounters.HOT_POLL_NANOS, 7L),
                List.of((long) AccountingCounters.INVOCATIONS, 3L)), asLists(sent));

        sent.clear();
        flusher.flush((counter, delta) -> sent.add(new long[] {counter, delta}));
        assertTrue(sent.isEmpty(), "nothing new, nothing sent");

        b.invocation(1, false);
        flusher.flush((counter, delta) -> sent.add(new long[] {counter, delta}));
        assertEquals(List.of(
                List.of((long) AccountingCounters.COMPUTE_NANOS, 1L),
                List.of((long) AccountingCounters.INVOCATIONS, 1L)), asLists(sent));
    }

    @Test
    void aFailedSendIsSentAgainByTheNextFlush() {
        WorkerCounters w = new WorkerCounters();
        w.invocation(3, true);
        AccountingFlusher flusher = new AccountingFlusher();
        flusher.add(w);
        long[] manager = new long[AccountingCounters.COUNT];
        boolean[] broken = {true};
        AccountingFlusher.Sink sink = (counter, delta) -> {
            if (broken[0] && counter == AccountingCounters.COMPUTE_NANOS) {
                throw new TransportException("peer gone for a moment");
            }
            manager[counter] += delta;
        };
        assertThrows(TransportException.class, () -> flusher.flush(sink));
        assertEquals(0, manager[AccountingCounters.INVOCATIONS], "the count waits for its compute time");
        broken[0] = false;
        flusher.flush(sink);
        assertEquals(3, manager[AccountingCounters.COMPUTE_NANOS]);
        assertEquals(1, manager[AccountingCounters.FAILED_INVOCATIONS], "the failure is not sent twice");
        assertEquals(1, manager[AccountingCounters.INVOCATIONS]);
    }

    /**
     * A worker fails every invocation while the flusher runs beside it: each time the count
     * reaches the manager, the failures and compute time of all counted invocations are there.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aConcurrentWorkersCountNeverRunsAheadOfItsFailures() throws Exception {
        WorkerCounters w = new WorkerCounters();
        AtomicLongArray manager = new AtomicLongArray(AccountingCounters.COUNT);
        AtomicReference<String> violation = new AtomicReference<>();
        AccountingFlusher.Sink sink = (counter, delta) -> {
            manager.addAndGet(counter, delta);
            long invocations = manager.get(AccountingCounters.INVOCATIONS); // read first, as the manager does
            long failed = manager.get(AccountingCounters.FAILED_INVOCATIONS);
            long compute = manager.get(AccountingCounters.COMPUTE_NANOS);
            if ((failed < invocations || compute < invocations) && violation.get() == null) {
                violation.set(invocations + " invocations with " + failed + " failures and " + compute + " ns");
            }
        };
        int calls = 2_000_000;
        Thread worker = Thread.ofPlatform().name("accounting-worker").start(() -> {
            for (int i = 0; i < calls; i++) {
                w.invocation(1, true);
            }
        });
        AccountingFlusher flusher = new AccountingFlusher();
        flusher.add(w);
        int flushes = 0;
        while (worker.isAlive()) {
            flusher.flush(sink);
            flushes++;
        }
        flusher.flush(sink);
        assertEquals(null, violation.get(), "after " + flushes + " flushes");
        assertEquals(calls, manager.get(AccountingCounters.INVOCATIONS));
        assertEquals(calls, manager.get(AccountingCounters.FAILED_INVOCATIONS));
        assertEquals(calls, manager.get(AccountingCounters.COMPUTE_NANOS));
    }

    private static List<List<Long>> asLists(List<long[]> sent) {
        return sent.stream().map(p -> List.of(p[0], p[1])).toList();
    }
}
