package org.rfaas.demo;

import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code demo --keep}: holds the demo's processes up until Ctrl-C, so that a person can look at the
 * dashboard, then lets the demo tear everything down and check it as usual before the JVM exits.
 * Ctrl-C starts the JVM's shutdown; the hook installed here wakes the waiting demo and holds the
 * shutdown until the demo says it has cleaned up (at most a minute).
 */
public final class KeepAlive {
    private static final CountDownLatch INTERRUPTED = new CountDownLatch(1);
    private static final CountDownLatch CLEANED_UP = new CountDownLatch(1);

    private KeepAlive() {
    }

    /** Prints {@code what} and waits for Ctrl-C. */
    public static void untilInterrupted(PrintStream out, String what) throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("rfaas-demo-keep").unstarted(() -> {
            INTERRUPTED.countDown();
            try {
                CLEANED_UP.await(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        out.println(what + "; press Ctrl-C to tear everything down");
        out.flush();
        INTERRUPTED.await();
        out.println("Ctrl-C: tearing down");
    }

    /** The demo has torn down and checked what it started: a pending shutdown may go on. */
    public static void cleanedUp() {
        CLEANED_UP.countDown();
    }
}
