package org.rfaas.transport;

import java.util.concurrent.locks.LockSupport;

/**
 * Spins ({@link Thread#onSpinWait}) {@code maxSpins} times, then yields {@code maxYields} times,
 * then parks, starting at {@code minParkNanos} and doubling up to {@code maxParkNanos}. Spinning
 * answers within nanoseconds but burns a core; parking costs a wake-up of tens of microseconds but
 * frees the core; the thresholds choose where a caller sits between the two. Allocation-free; one
 * instance per thread.
 */
public final class BackoffIdleStrategy implements IdleStrategy {
    private final long maxSpins;
    private final long maxYields;
    private final long minParkNanos;
    private final long maxParkNanos;
    private long spins;
    private long yields;
    private long parkNanos;

    /**
     * @param maxSpins spin-wait hints before yielding (0 or more)
     * @param maxYields {@link Thread#yield}s before parking (0 or more)
     * @param minParkNanos the first park (at least 1)
     * @param maxParkNanos the longest park (at least {@code minParkNanos})
     */
    public BackoffIdleStrategy(long maxSpins, long maxYields, long minParkNanos, long maxParkNanos) {
        if (maxSpins < 0 || maxYields < 0 || minParkNanos < 1 || maxParkNanos < minParkNanos) {
            throw new IllegalArgumentException("need spins >= 0, yields >= 0, 1 <= minPark <= maxPark; got "
                    + maxSpins + ", " + maxYields + ", " + minParkNanos + ", " + maxParkNanos);
        }
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.minParkNanos = minParkNanos;
        this.maxParkNanos = maxParkNanos;
        reset();
    }

    @Override
    public void idle() {
        if (spins < maxSpins) {
            spins++;
            Thread.onSpinWait();
        } else if (yields < maxYields) {
            yields++;
            Thread.yield();
        } else {
            LockSupport.parkNanos(parkNanos);
            parkNanos = Math.min(parkNanos << 1, maxParkNanos);
        }
    }

    /** Like {@link #idle()}, but never parks longer than {@code limitNanos} (a caller's deadline). */
    public void idle(long limitNanos) {
        if (spins < maxSpins || yields < maxYields) {
            idle();
        } else {
            LockSupport.parkNanos(Math.min(parkNanos, Math.max(1, limitNanos)));
            parkNanos = Math.min(parkNanos << 1, maxParkNanos);
        }
    }

    @Override
    public void reset() {
        spins = 0;
        yields = 0;
        parkNanos = minParkNanos;
    }
}
