package org.rfaas.transport.fabric;

import org.rfaas.transport.BackoffIdleStrategy;
import org.rfaas.transport.Completion;

/**
 * For a peer that never rings: spins a little, then backs off into the kernel (parks of 50 µs
 * growing to 1 ms) instead of burning the core.
 */
final class BackoffWaiter implements WarmWaiter {
    private final BackoffIdleStrategy idle;

    BackoffWaiter(int spinPolls) {
        idle = new BackoffIdleStrategy(spinPolls, 0, 50_000, 1_000_000);
    }

    @Override
    public String kind() {
        return "back-off";
    }

    @Override
    public void begin() {
        idle.reset();
    }

    @Override
    public boolean step(Completion into, long remainingNanos) {
        idle.idle(remainingNanos);
        return false;
    }
}
