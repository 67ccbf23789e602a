package org.rfaas.transport;

/**
 * Spins, yielding once every {@code spinsPerYield} empty polls, and never parks: for a thread that
 * must answer within nanoseconds for a bounded time (its loop switches to a blocking wait by
 * itself) yet lets a thread that shares its core run now and then. Allocation-free; one instance
 * per thread.
 */
public final class SpinYieldIdleStrategy implements IdleStrategy {
    private final int spinsPerYield;
    private int spins;

    /** @param spinsPerYield empty polls per {@link Thread#yield} (at least 1) */
    public SpinYieldIdleStrategy(int spinsPerYield) {
        if (spinsPerYield < 1) {
            throw new IllegalArgumentException("spinsPerYield must be at least 1, got " + spinsPerYield);
        }
        this.spinsPerYield = spinsPerYield;
    }

    @Override
    public void idle() {
        if (++spins >= spinsPerYield) {
            spins = 0;
            Thread.yield();
        } else {
            Thread.onSpinWait();
        }
    }

    @Override
    public void reset() {
        spins = 0;
    }
}
