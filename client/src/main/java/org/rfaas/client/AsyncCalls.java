package org.rfaas.client;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts an executor's asynchronous calls: the background thread looks at them only while some
 * are outstanding, and uses the completed count to tell progress (their waiters take replies in)
 * from idling (nobody does: it takes them in itself).
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
