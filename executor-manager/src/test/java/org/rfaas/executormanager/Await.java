package org.rfaas.executormanager;

import java.util.concurrent.TimeUnit;

/** Polling for a condition in tests, up to a minute. */
final class Await {
    /** A condition that may throw (it reads files, asks the manager). */
    interface Check {
        boolean ok() throws Exception;
    }

    private Await() {
    }

    /** Polls {@code check} every 5 ms until it holds; fails with {@code what} after a minute. */
    static void until(Check check, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!check.ok()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(5);
        }
    }
}
