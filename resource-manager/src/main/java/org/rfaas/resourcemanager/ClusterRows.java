package org.rfaas.resourcemanager;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.rfaas.rmclient.LeaseBilling;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.rmclient.LeaseRequest;
import org.rfaas.rmclient.NodeInfo;
import org.rfaas.rmclient.TenantBilling;

/** Row mappers and messages of {@link ClusterState}: SQL rows to DTOs, the no-capacity explanation. */
final class ClusterRows {
    private ClusterRows() {
    }

    static String refusal(LeaseRequest req, List<NodeInfo> nodes) {
        StringBuilder sb = new StringBuilder("no node has " + req.cores() + " free core(s) and " + req.memoryMiB()
                + " MiB free memory");
        if (nodes.isEmpty()) {
            return sb.append(": no executor node is registered").toString();
        }
        sb.append(": ");
        int shown = 0;
        for (NodeInfo n : nodes) {
            if (shown++ == 8) {
                sb.append(", ... (").append(nodes.size() - 8).append(" more)");
                break;
            }
            if (shown > 1) {
                sb.append(", ");
            }
            sb.append(n.name());
            if (ClusterState.UP.equals(n.state())) {
                sb.append(" has ").append(n.freeCores()).append(" core(s)/").append(n.freeMemoryMiB()).append(" MiB free");
            } else {
                sb.append(" is ").append(n.state());
            }
        }
        return sb.toString();
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
