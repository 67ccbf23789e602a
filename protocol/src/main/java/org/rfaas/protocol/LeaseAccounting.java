package org.rfaas.protocol;

import java.time.Duration;

/**
 * What a lease used, as billed: allocation time (spawn to end, wall clock), compute time (inside
 * function bodies), hot-polling time (spinning for work), and invocation counts. Memory × time is
 * the lease's memory times {@link #allocationNanos()}.
 */
public record LeaseAccounting(long allocationNanos, long computeNanos, long hotPollNanos, long invocations,
        long failedInvocations) {

    /** Nothing used yet. */
    public static final LeaseAccounting ZERO = new LeaseAccounting(0, 0, 0, 0, 0);

    public LeaseAccounting {
        if (allocationNanos < 0 || computeNanos < 0 || hotPollNanos < 0 || invocations < 0 || failedInvocations < 0) {
            throw new IllegalArgumentException("accounting values must not be negative");
        }
    }

    /** Allocation time as a duration. */
    public Duration allocationTime() {
        return Duration.ofNanos(allocationNanos);
    }

    /** Compute time as a duration. */
    public Duration computeTime() {
        return Duration.ofNanos(computeNanos);
    }

    /** Hot-polling time as a duration. */
    public Duration hotPollTime() {
        return Duration.ofNanos(hotPollNanos);
    }
}
