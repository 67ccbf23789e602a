package org.rfaas.client;

import java.util.concurrent.CompletableFuture;

/**
 * The background poller thread of a {@link RemoteExecutor}, started while its allocation waits for
 * the manager's answer (the calling thread is idle then) and given its poll loop once the
 * allocation completed: starting a thread costs the caller 0.3-2 ms, which would otherwise fall
 * between the allocation's end and its first call.
 */
final class PollerThread {
    private final CompletableFuture<Runnable> loop = new CompletableFuture<>();
    private Thread thread;

    /** Starts the thread (once; later calls do nothing); it waits for {@link #attach} or {@link #cancel}. */
    void start() {
        if (thread == null) {
            thread = Thread.ofPlatform().daemon().name("rfaas-client-poller").start(() -> {
                Runnable r = loop.join();
                if (r != null) {
                    r.run();
                }
            });
        }
    }

    /** Runs {@code pollLoop} on the thread (started now if it was not) and returns the thread. */
    Thread attach(Runnable pollLoop, String name) {
        start();
        thread.setName(name);
        loop.complete(pollLoop);
        return thread;
    }

    /** The allocation failed: the thread ends without polling. */
    void cancel() {
        loop.complete(null);
    }
}
