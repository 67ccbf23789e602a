package org.rfaas.resourcemanager;

import java.sql.ResultSet;
import java.sql.SQLException;
import org.rfaas.rmclient.LeaseBilling;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.rmclient.NodeInfo;
import org.rfaas.rmclient.TenantBilling;

/** Row mappers of {@link ClusterState}: SQL rows to DTOs. */
final class ClusterRows {
    private ClusterRows() {
    }

    /** A row of the node query: name, address, port, transport, cores, memory, state, heartbeat, used cores, used memory, leases. */
    static NodeInfo nodeRow(ResultSet rs) throws SQLException {
        int cores = rs.getInt(5);
        long mem = rs.getLong(6);
        return new NodeInfo(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4), cores, mem,
                rs.getString(7), cores - rs.getInt(9), mem - rs.getLong(10), rs.getInt(11), rs.getLong(8));
    }

    static String tenantQuery(String tail) {
        return "SELECT tenant, COUNT(*), SUM(allocation_nanos), SUM(compute_nanos), SUM(hot_polling_nanos),"
                + " SUM(memory_mib_seconds) FROM rm_billing" + tail;
    }

    static LeaseInfo leaseRow(ResultSet rs) throws SQLException {
        return new LeaseInfo(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getLong(5),
                rs.getString(6), rs.getLong(7), rs.getLong(8), rs.getLong(9), rs.getString(10));
    }

    static LeaseBilling billingRow(ResultSet rs) throws SQLException {
        return new LeaseBilling(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getLong(5),
                rs.getLong(6), rs.getDouble(7), rs.getLong(8));
    }

    static TenantBilling tenantRow(ResultSet rs) throws SQLException {
        return new TenantBilling(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getDouble(6));
    }
}
