package org.rfaas.resourcemanager;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.concurrent.locks.ReentrantLock;
import org.rfaas.rmclient.BillingReport;
import org.rfaas.rmclient.BillingSummary;
import org.rfaas.rmclient.LeaseBilling;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.rmclient.TenantBilling;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Final accountings of leases: stored through the durable log, read from the database. */
final class Billing {
    private static final Logger LOG = LoggerFactory.getLogger(Billing.class);
    private static final String REPORTED = "executor manager reported the final accounting";

    private final ClusterState state;
    /** One report at a time: its duplicate check reads the database. Grants never wait for it. */
    private final ReentrantLock reports = new ReentrantLock();

    Billing(ClusterState state) {
        this.state = state;
    }

    /**
     * Stores a lease's final accounting. An active lease is ended (its executor is gone, so the
     * capacity comes back). A second report for the same lease is a conflict.
     */
    LeaseBilling report(long id, BillingReport r, long now) {
        reports.lock();
        try {
            if (!state.read(db -> Sql.list(db, ClusterState.BILLING_COLUMNS + " WHERE lease_id = ?", ClusterRows::billingRow,
                    id)).isEmpty()) {
                throw ApiException.conflict("lease " + id + " is already billed");
            }
            LeaseInfo before = state.lease(id); // 404 when unknown
            String[] endedAs = new String[1];
            state.change(now, c -> {
                LiveState.Lease l = state.live.leases.get(id);
                if (l != null) {
                    // The manager ends a lease at its expiry too, and its report may beat the sweeper: a lease
                    // that ran out is EXPIRED, whichever side noticed first.
                    boolean ranOut = l.expiresAt <= now;
                    endedAs[0] = ranOut ? ClusterState.EXPIRED : ClusterState.RELEASED;
                    c.endLease(l, endedAs[0], ranOut ? "lease expired" : REPORTED, now);
                }
                c.write("INSERT INTO rm_billing (lease_id, tenant, node, allocation_nanos, compute_nanos, hot_polling_nanos,"
                        + " memory_mib_seconds, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", id, before.tenant(), before.node(),
                        r.allocationNanos(), r.computeNanos(), r.hotPollingNanos(), r.memoryMiBSeconds(), now);
                return null;
            });
            if (endedAs[0] != null) {
                state.observer().leasesEnded(endedAs[0], before.node(), 1,
                        ClusterState.EXPIRED.equals(endedAs[0]) ? "lease expired" : REPORTED);
            }
            LOG.info("lease {} billed to {}: allocation={} ms compute={} ms hotPolling={} ms memory={} MiB*s", id,
                    before.tenant(), r.allocationNanos() / 1_000_000, r.computeNanos() / 1_000_000,
                    r.hotPollingNanos() / 1_000_000, String.format("%.1f", r.memoryMiBSeconds()));
            LeaseBilling billed = new LeaseBilling(id, before.tenant(), before.node(), r.allocationNanos(), r.computeNanos(),
                    r.hotPollingNanos(), r.memoryMiBSeconds(), now);
            state.observer().leaseBilled(billed);
            return billed;
        } finally {
            reports.unlock();
        }
    }

    BillingSummary summary() {
        return state.read(db -> new BillingSummary(
                Sql.list(db, ClusterState.BILLING_COLUMNS + " ORDER BY lease_id", ClusterRows::billingRow),
                Sql.list(db, ClusterRows.tenantQuery(" GROUP BY tenant ORDER BY tenant"), ClusterRows::tenantRow)));
    }

    TenantBilling tenant(String tenant) {
        return state.read(db -> {
            try (PreparedStatement ps = Sql.prepare(db, ClusterRows.tenantQuery(" WHERE tenant = ? GROUP BY tenant"), tenant);
                    ResultSet rs = ps.executeQuery()) {
                return rs.next() ? ClusterRows.tenantRow(rs) : new TenantBilling(tenant, 0, 0, 0, 0, 0.0);
            }
        });
    }
}
