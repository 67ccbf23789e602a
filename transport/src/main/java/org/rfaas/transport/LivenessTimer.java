package org.rfaas.transport;

import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one daemon thread per process that runs the periodic liveness work of every connection of
 * every transport (sending heartbeats, checking for silence; see {@link Liveness}). Tasks must be
 * short and must never block on a peer: one stuck task delays all others. Nothing here touches a
 * data path; connections keep their hot paths free of timers.
 */
public final class LivenessTimer {
    private static final Logger LOG = LoggerFactory.getLogger(LivenessTimer.class);
    private static final ScheduledThreadPoolExecutor TIMER;

    static {
        TIMER = new ScheduledThreadPoolExecutor(1, r -> Thread.ofPlatform().daemon().name("rfaas-liveness").unstarted(r));
        TIMER.setRemoveOnCancelPolicy(true);
        TIMER.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    private LivenessTimer() {
    }

    /**
     * Runs {@code task} every {@code period} (first after one period) until the returned future is
     * cancelled. An exception thrown by the task is logged and does not stop later runs.
     */
    public static Future<?> every(Duration period, Runnable task) {
        long nanos = period.toNanos();
        return TIMER.scheduleAtFixedRate(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.debug("liveness task {} failed: {}", task, e.toString());
            }
        }, nanos, nanos, TimeUnit.NANOSECONDS);
    }
}
