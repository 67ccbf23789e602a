package org.rfaas.resourcemanager.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.rfaas.rmclient.LeaseBilling;
import org.rfaas.rmclient.TenantBilling;
import org.rfaas.resourcemanager.StateObserver;

/**
 * Billing totals per tenant kept in memory: seeded once from the database at start-up, then added
 * to as executor managers report. The metrics and the dashboard read them here rather than summing
 * the whole billing table on every scrape or push. The cluster state tells it of each report.
 */
public final class BillingTotals implements StateObserver {
    private final Map<String, TenantBilling> tenants = new TreeMap<>();

    /** Starts from the stored totals. */
    public BillingTotals(List<TenantBilling> stored) {
        for (TenantBilling t : stored) {
            tenants.put(t.tenant(), t);
        }
    }

    /** Adds one lease's final accounting. */
    @Override
    public synchronized void leaseBilled(LeaseBilling b) {
        TenantBilling t = tenants.getOrDefault(b.tenant(), new TenantBilling(b.tenant(), 0, 0, 0, 0, 0.0));
        tenants.put(b.tenant(), new TenantBilling(t.tenant(), t.leases() + 1, t.allocationNanos() + b.allocationNanos(),
                t.computeNanos() + b.computeNanos(), t.hotPollingNanos() + b.hotPollingNanos(),
                t.memoryMiBSeconds() + b.memoryMiBSeconds()));
    }

    /** The totals, ordered by tenant. */
    public synchronized List<TenantBilling> snapshot() {
        return new ArrayList<>(tenants.values());
    }
}
