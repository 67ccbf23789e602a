package org.rfaas.resourcemanager;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.rfaas.rmclient.EndedLease;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads the durable record back into a {@link LiveState}: at start, and after a failed commit. */
final class StateLoader {
    private static final Logger LOG = LoggerFactory.getLogger(StateLoader.class);

    private StateLoader() {
    }

    /**
     * Loads nodes, active leases, the leases that ended within {@code retentionMillis} and the
     * removed node names. Every node gets {@code now} as its last heartbeat: the resource manager's
     * own downtime must not count as the nodes' silence.
     */
    static LiveState load(Connection db, long now, long retentionMillis) throws SQLException {
        LiveState s = new LiveState();
        s.tenants.load(db);
        try (Statement st = db.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT name, address, port, transport, cores, memory_mib, state FROM rm_nodes")) {
                while (rs.next()) {
                    LiveState.Node n = s.putNode(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4),
                            rs.getInt(5), rs.getLong(6), rs.getString(7));
                    n.lastHeartbeat = now;
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT id, tenant, node, cores, memory_mib, created_at, expires_at,"
                    + " request_id FROM rm_leases WHERE state = 'ACTIVE'")) {
                while (rs.next()) {
                    LiveState.Node n = s.nodes.get(rs.getString(3));
                    if (n == null) {
                        LOG.error("active lease {} is on unknown node {}; ignored", rs.getLong(1), rs.getString(3));
                        continue;
                    }
                    s.take(new LiveState.Lease(rs.getLong(1), rs.getString(2), n, rs.getInt(4), rs.getLong(5),
                            rs.getLong(6), rs.getLong(7), rs.getString(8)));
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT name FROM rm_removed_nodes")) {
                while (rs.next()) {
                    s.removedNodes.add(rs.getString(1));
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(id), 0) FROM rm_leases")) {
                rs.next();
                s.nextLeaseId = rs.getLong(1) + 1;
            }
        }
        try (PreparedStatement ps = db.prepareStatement("SELECT id, node, state, end_reason, ended_at FROM rm_leases"
                + " WHERE state <> 'ACTIVE' AND ended_at >= ? ORDER BY ended_at, id")) {
            ps.setLong(1, now - retentionMillis);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    LiveState.Node n = s.nodes.get(rs.getString(2));
                    if (n != null) {
                        n.ended(new EndedLease(rs.getLong(1), rs.getString(3), rs.getString(4)), rs.getLong(5), retentionMillis);
                    }
                }
            }
        }
        db.commit();
        return s;
    }
}
