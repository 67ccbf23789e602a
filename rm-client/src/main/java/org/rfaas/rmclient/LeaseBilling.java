package org.rfaas.rmclient;

/** The stored accounting of one lease, as reported by its executor manager. */
public record LeaseBilling(long leaseId, String tenant, String node, long allocationNanos, long computeNanos,
        long hotPollingNanos, double memoryMiBSeconds, long reportedAtEpochMillis) {
}
