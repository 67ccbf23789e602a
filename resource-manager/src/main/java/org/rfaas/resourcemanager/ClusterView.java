package org.rfaas.resourcemanager;

import java.util.List;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.rmclient.NodeInfo;
import org.rfaas.rmclient.TenantBilling;

/** Read-only queries of the cluster state, for the metrics and the dashboard. */
public interface ClusterView {
    /** Every registered node with the capacity its active leases hold. */
    List<NodeInfo> nodes();

    /** The active leases, newest first. */
    List<LeaseInfo> activeLeases();

    /** Billing totals per tenant as stored (what executor managers reported). */
    List<TenantBilling> tenantBilling();
}
