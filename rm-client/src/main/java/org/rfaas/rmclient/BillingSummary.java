package org.rfaas.rmclient;

import java.util.List;

/** Billing per lease and per tenant. */
public record BillingSummary(List<LeaseBilling> leases, List<TenantBilling> tenants) {
    public BillingSummary {
        leases = List.copyOf(leases);
        tenants = List.copyOf(tenants);
    }
}
