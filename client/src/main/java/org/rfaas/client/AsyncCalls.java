package org.rfaas.client;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts an executor's asynchronous calls: the background poller spins while some are
 * outstanding and uses the completed count to tell progress from idling.
 */
final class AsyncCalls {
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicLong completed = new AtomicLong();

    void started() {
        outstanding.incrementAndGet();
    }

    void done() {
        outstanding.decrementAndGet();
        completed.incrementAndGet();
    }

    int outstanding() {
        return outstanding.get();
    }

    long completed() {
        return completed.get();
    }
}
