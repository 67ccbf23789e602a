package org.rfaas.rmclient;

/**
 * A lease's final accounting, sent once by the executor manager when the lease ends.
 *
 * @param allocationNanos executor spawn to release, wall clock
 * @param computeNanos time spent inside function bodies, summed over worker threads
 * @param hotPollingNanos time spent busy-polling while idle, summed over worker threads
 * @param memoryMiBSeconds leased memory times allocation time
 */
public record BillingReport(long allocationNanos, long computeNanos, long hotPollingNanos, double memoryMiBSeconds) {
    public BillingReport {
        Checks.nonNegative("allocationNanos", allocationNanos);
        Checks.nonNegative("computeNanos", computeNanos);
        Checks.nonNegative("hotPollingNanos", hotPollingNanos);
        if (!(memoryMiBSeconds >= 0) || Double.isInfinite(memoryMiBSeconds)) {
            throw new IllegalArgumentException("memoryMiBSeconds must be a finite non-negative number, got " + memoryMiBSeconds);
        }
    }
}
