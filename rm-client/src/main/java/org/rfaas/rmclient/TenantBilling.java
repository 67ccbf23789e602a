package org.rfaas.rmclient;

/** Totals of all billed leases of one tenant. */
public record TenantBilling(String tenant, long leases, long allocationNanos, long computeNanos,
        long hotPollingNanos, double memoryMiBSeconds) {
}
