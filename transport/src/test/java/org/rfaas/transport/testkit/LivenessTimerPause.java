package org.rfaas.transport.testkit;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.rfaas.transport.LivenessTimer;

/**
 * Holds the process's {@link LivenessTimer} thread for a while, as a paused host (its vCPUs) or a
 * starved timer thread holds it: no connection of this process sends a heartbeat or checks its
 * peer meanwhile.
 */
public final class LivenessTimerPause {
    private LivenessTimerPause() {
    }

    /**
     * Holds the timer thread for {@code pause}; returns once it let go, with the
     * {@link System#nanoTime} of that moment.
     *
     * @throws IllegalStateException when the timer did not run the pause within 10 s
     */
    public static long hold(Duration pause) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<Future<?>> self = new AtomicReference<>();
        long[] ended = new long[1];
        self.set(LivenessTimer.every(Duration.ofMillis(1), () -> {
            if (done.getCount() == 0) {
                return;
            }
            try {
                Thread.sleep(pause.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ended[0] = System.nanoTime();
            Future<?> f = self.get();
            if (f != null) {
                f.cancel(false);
            }
            done.countDown();
        }));
        if (!done.await(pause.toMillis() + 10_000, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("the liveness timer never ran the pause");
        }
        return ended[0];
    }
}
