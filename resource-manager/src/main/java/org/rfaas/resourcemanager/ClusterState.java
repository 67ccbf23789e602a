package org.rfaas.resourcemanager;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.rfaas.protocol.lease.InvalidLeaseTokenException;
import org.rfaas.protocol.lease.LeaseClaims;
import org.rfaas.protocol.lease.LeaseToken;
import org.rfaas.rmclient.ActiveLease;
import org.rfaas.rmclient.BillingReport;
import org.rfaas.rmclient.BillingSummary;
import org.rfaas.rmclient.ClusterEvent;
import org.rfaas.rmclient.EndedLease;
import org.rfaas.rmclient.HeartbeatResponse;
import org.rfaas.rmclient.LeaseBilling;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.rmclient.LeaseRequest;
import org.rfaas.rmclient.NodeInfo;
import org.rfaas.rmclient.NodeRegistration;
import org.rfaas.rmclient.TenantBilling;
import org.rfaas.rmclient.TenantInfo;
import org.rfaas.rmclient.TenantRequest;
import org.rfaas.resourcemanager.events.EventBus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's nodes, leases and billing, kept in SQL (portable: H2 by default, PostgreSQL works).
 *
 * <p>Every operation is one database transaction run inside a single-writer section (one lock,
 * one connection), so the capacity check and the reservation of a lease can never interleave with
 * another placement: the cluster is never over-committed, however many clients ask at once. The
 * database is the only state; a restarted resource manager continues where it stopped.
 *
 * <p>Each transaction collects the {@link ClusterEvent}s of its changes and publishes them on the
 * {@link EventBus} after it committed (a rolled-back change is never announced).
 */
final class ClusterState implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterState.class);

    static final String UP = "UP";
    static final String DRAINING = "DRAINING";
    static final String DOWN = "DOWN";
    static final String ACTIVE = "ACTIVE";
    static final String RELEASED = "RELEASED";
    static final String EXPIRED = "EXPIRED";
    static final String REVOKED = "REVOKED";

    private static final String[] SCHEMA = {
        "CREATE TABLE IF NOT EXISTS rm_nodes (name VARCHAR(128) PRIMARY KEY, address VARCHAR(512) NOT NULL,"
            + " port INTEGER NOT NULL, transport VARCHAR(128) NOT NULL, cores INTEGER NOT NULL,"
            + " memory_mib BIGINT NOT NULL, state VARCHAR(16) NOT NULL, registered_at BIGINT NOT NULL,"
            + " last_heartbeat BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS rm_leases (id BIGINT PRIMARY KEY, tenant VARCHAR(128) NOT NULL,"
            + " node VARCHAR(128) NOT NULL, cores INTEGER NOT NULL, memory_mib BIGINT NOT NULL,"
            + " state VARCHAR(16) NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,"
            + " ended_at BIGINT NOT NULL, end_reason VARCHAR(512) NOT NULL)",
        "CREATE INDEX IF NOT EXISTS rm_leases_state ON rm_leases (state)",
        "CREATE INDEX IF NOT EXISTS rm_leases_node ON rm_leases (node)",
        "CREATE TABLE IF NOT EXISTS rm_billing (lease_id BIGINT PRIMARY KEY, tenant VARCHAR(128) NOT NULL,"
            + " node VARCHAR(128) NOT NULL, allocation_nanos BIGINT NOT NULL, compute_nanos BIGINT NOT NULL,"
            + " hot_polling_nanos BIGINT NOT NULL, memory_mib_seconds DOUBLE PRECISION NOT NULL,"
            + " reported_at BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS rm_removed_nodes (name VARCHAR(128) PRIMARY KEY, removed_at BIGINT NOT NULL)",
    };

    /**
     * Nodes with the capacity held by their active leases. The aggregate filters on the indexed
     * state first, so its cost follows the active leases, not the lease history.
     */
    private static final String NODE_QUERY =
        "SELECT n.name, n.address, n.port, n.transport, n.cores, n.memory_mib, n.state, n.last_heartbeat,"
            + " COALESCE(u.used_cores, 0), COALESCE(u.used_memory, 0), COALESCE(u.active, 0) FROM rm_nodes n LEFT JOIN"
            + " (SELECT node, SUM(cores) AS used_cores, SUM(memory_mib) AS used_memory, COUNT(*) AS active"
            + " FROM rm_leases WHERE state = 'ACTIVE' GROUP BY node) u ON u.node = n.name";
    private static final String LEASE_COLUMNS =
        "SELECT id, tenant, node, cores, memory_mib, state, created_at, expires_at, ended_at, end_reason FROM rm_leases";
    private static final String BILLING_COLUMNS =
        "SELECT lease_id, tenant, node, allocation_nanos, compute_nanos, hot_polling_nanos, memory_mib_seconds,"
            + " reported_at FROM rm_billing";

    private final ResourceManagerConfig config;
    private final LeaseToken tokens;
    private final PlacementPolicy placement;
    private final Connection db;
    private final ReentrantLock writer = new ReentrantLock();
    private final EventBus events;
    /** Events of the running transaction (writer held). */
    private final List<ClusterEvent> pending = new ArrayList<>();
    /** Nodes whose leases ended or that came (back) up in the running transaction. */
    private final LinkedHashSet<String> freed = new LinkedHashSet<>();
    private long nextLeaseId;
    private volatile StateObserver observer = StateObserver.NONE;

    private ClusterState(ResourceManagerConfig config, Connection db, EventBus events) throws SQLException {
        this.config = config;
        this.events = events;
        this.tokens = LeaseToken.ofSecret(config.clusterSecret());
        this.placement = config.placementPolicy();
        this.db = db;
        db.setAutoCommit(false);
        try (Statement st = db.createStatement()) {
            for (String ddl : SCHEMA) {
                st.execute(ddl);
            }
            for (String ddl : Tenants.SCHEMA) {
                st.execute(ddl);
            }
            try (ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(id), 0) FROM rm_leases")) {
                rs.next();
                nextLeaseId = rs.getLong(1) + 1;
            }
        }
        db.commit();
    }

    /** Opens (creating if needed) the database named in the config. */
    static ClusterState open(ResourceManagerConfig config, EventBus events) throws SQLException {
        Connection c = DriverManager.getConnection(config.databaseUrl(), config.databaseUser(), config.databasePassword());
        try {
            return new ClusterState(config, c, events);
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** Tells {@code o} about every change from now on (metrics, dashboard). */
    void observe(StateObserver o) {
        observer = o;
    }

    @FunctionalInterface
    private interface Work<T> {
        T run() throws SQLException;
    }

    /**
     * Runs {@code work} as one transaction in the single-writer section. An {@link ApiException}
     * still commits (what ran before the refusal, e.g. expiring due leases, is legitimate); any
     * other failure rolls back.
     */
    private <T> T tx(Work<T> work) {
        writer.lock();
        try {
            try {
                T result = work.run();
                commit();
                return result;
            } catch (ApiException e) {
                commit();
                throw e;
            } catch (SQLException | RuntimeException e) {
                db.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("database failure: " + e.getMessage(), e);
        } finally {
            pending.clear();
            freed.clear();
            writer.unlock();
        }
    }

    /** Commits, then announces what the transaction changed (capacity of nodes that are up). */
    private void commit() throws SQLException {
        long now = System.currentTimeMillis();
        for (String name : freed) {
            Optional<NodeInfo> n = findNode(name);
            if (n.isPresent() && UP.equals(n.get().state())) {
                pending.add(ClusterEvent.capacity(now, name, n.get().freeCores(), n.get().freeMemoryMiB()));
            }
        }
        db.commit();
        pending.forEach(events::publish);
    }

    // ------------------------------------------------------------------ nodes

    /**
     * Registers or re-registers a node (executor manager at start-up, or a batch system adding it).
     * A known node keeps its leases and its drain flag; a node that was down comes back up.
     */
    NodeInfo registerNode(NodeRegistration reg, long now, boolean byAdmin) {
        return tx(() -> {
            update("DELETE FROM rm_removed_nodes WHERE name = ?", reg.name());
            Optional<NodeInfo> old = findNode(reg.name());
            if (old.isPresent()) {
                String state = DRAINING.equals(old.get().state()) ? DRAINING : UP;
                update("UPDATE rm_nodes SET address = ?, port = ?, transport = ?, cores = ?, memory_mib = ?, state = ?,"
                        + " last_heartbeat = ? WHERE name = ?", reg.address(), reg.port(), reg.transport(), reg.cores(),
                        reg.memoryMiB(), state, now, reg.name());
            } else {
                update("INSERT INTO rm_nodes (name, address, port, transport, cores, memory_mib, state, registered_at,"
                        + " last_heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", reg.name(), reg.address(), reg.port(),
                        reg.transport(), reg.cores(), reg.memoryMiB(), UP, now, now);
            }
            if (old.isEmpty() || DOWN.equals(old.get().state())) {
                pending.add(ClusterEvent.node(old.isEmpty() ? ClusterEvent.NODE_ADDED : ClusterEvent.NODE_RESUMED, now,
                        reg.name(), old.isEmpty() ? "registered" : "registered again after being down"));
            }
            freed.add(reg.name());
            LOG.info("node {} {} by {}: {} {}:{} cores={} memoryMiB={}", reg.name(), old.isPresent() ? "re-registered" : "registered",
                    byAdmin ? "admin" : "its executor manager", reg.transport(), reg.address(), reg.port(), reg.cores(), reg.memoryMiB());
            observer.nodeEvent(reg.name(), old.isPresent() ? StateObserver.NODE_REREGISTERED : StateObserver.NODE_ADDED);
            return requireNode(reg.name());
        });
    }

    /** Records a heartbeat; answers with the node's active leases and those that ended recently. */
    HeartbeatResponse heartbeat(String name, long now) {
        return tx(() -> {
            Optional<NodeInfo> known = findNode(name);
            if (known.isEmpty()) {
                try (PreparedStatement ps = prepare("SELECT removed_at FROM rm_removed_nodes WHERE name = ?", name);
                        ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        throw ApiException.nodeRemoved("node '" + name + "' was removed by an administrator; its leases"
                                + " were revoked. Register again to rejoin.");
                    }
                }
                throw ApiException.notFound("unknown node '" + name + "'; register first");
            }
            NodeInfo node = known.get();
            String state = node.state();
            if (DOWN.equals(state)) {
                state = UP;
                LOG.info("node {} is back after missing heartbeats; its old leases stay revoked", name);
                observer.nodeEvent(name, StateObserver.NODE_BACK);
                pending.add(ClusterEvent.node(ClusterEvent.NODE_RESUMED, now, name, "heartbeats resumed"));
                freed.add(name);
            }
            update("UPDATE rm_nodes SET last_heartbeat = ?, state = ? WHERE name = ?", now, state, name);
            List<Long> active = new ArrayList<>();
            List<ActiveLease> activeLeases = new ArrayList<>();
            List<EndedLease> ended = new ArrayList<>();
            try (PreparedStatement ps = prepare("SELECT id, state, end_reason, expires_at FROM rm_leases WHERE node = ?"
                    + " AND (state = 'ACTIVE' OR ended_at >= ?) ORDER BY id", name, now - config.endedLeaseRetentionMillis());
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (ACTIVE.equals(rs.getString(2))) {
                        active.add(rs.getLong(1));
                        activeLeases.add(new ActiveLease(rs.getLong(1), rs.getLong(4)));
                    } else {
                        ended.add(new EndedLease(rs.getLong(1), rs.getString(2), rs.getString(3)));
                    }
                }
            }
            return new HeartbeatResponse(name, state, active, activeLeases, ended);
        });
    }

    /** Stops placing leases on a node and revokes its active leases. */
    NodeInfo drainNode(String name, long now) {
        return tx(() -> {
            requireNode(name);
            // A down node is drained too: when its manager comes back during a batch job it must stay out.
            update("UPDATE rm_nodes SET state = ? WHERE name = ?", DRAINING, name);
            pending.add(ClusterEvent.node(ClusterEvent.NODE_DRAINED, now, name, "drained"));
            int n = endLeasesOfNode(name, REVOKED, "node " + name + " was drained", now);
            LOG.info("node {} drained; {} lease(s) revoked", name, n);
            observer.nodeEvent(name, StateObserver.NODE_DRAINED);
            return requireNode(name);
        });
    }

    /** Lets a drained node take leases again. */
    NodeInfo resumeNode(String name) {
        return tx(() -> {
            requireNode(name);
            if (update("UPDATE rm_nodes SET state = ? WHERE name = ? AND state = ?", UP, name, DRAINING) > 0) {
                pending.add(ClusterEvent.node(ClusterEvent.NODE_RESUMED, System.currentTimeMillis(), name, "resumed"));
                freed.add(name);
            }
            LOG.info("node {} resumed", name);
            observer.nodeEvent(name, StateObserver.NODE_RESUMED);
            return requireNode(name);
        });
    }

    /** Removes a node after revoking its active leases; answers with its last record. */
    NodeInfo removeNode(String name, long now) {
        return tx(() -> {
            NodeInfo last = requireNode(name);
            int n = endLeasesOfNode(name, REVOKED, "node " + name + " was removed from the cluster", now);
            update("DELETE FROM rm_nodes WHERE name = ?", name);
            update("DELETE FROM rm_removed_nodes WHERE name = ?", name);
            update("INSERT INTO rm_removed_nodes (name, removed_at) VALUES (?, ?)", name, now);
            pending.add(ClusterEvent.node(ClusterEvent.NODE_REMOVED, now, name, "removed"));
            LOG.info("node {} removed; {} lease(s) revoked", name, n);
            observer.nodeEvent(name, StateObserver.NODE_REMOVED);
            return last;
        });
    }

    List<NodeInfo> nodes() {
        return tx(() -> queryNodes(NODE_QUERY + " ORDER BY n.name"));
    }

    NodeInfo node(String name) {
        return tx(() -> requireNode(name));
    }

    // ------------------------------------------------------------------ leases

    /** Places and records a lease, or refuses with the reason when no node has the capacity. */
    LeaseGrant requestLease(LeaseRequest req, long now) {
        long duration = leaseDuration(req.durationMillis());
        long start = System.nanoTime();
        LeaseGrant granted = tx(() -> {
            expireDue(now);
            Tenants.checkQuota(db, req.tenant(), req.cores(), req.memoryMiB());
            List<NodeInfo> nodes = queryNodes(NODE_QUERY + " ORDER BY n.name");
            List<PlacementPolicy.Candidate> candidates = new ArrayList<>();
            for (NodeInfo n : nodes) {
                if (UP.equals(n.state())) {
                    candidates.add(new PlacementPolicy.Candidate(n.name(), n.freeCores(), n.freeMemoryMiB()));
                }
            }
            PlacementPolicy.Candidate chosen = placement.choose(candidates, req.cores(), req.memoryMiB())
                    .orElseThrow(() -> {
                        observer.leaseRefused(RefusalReason.of(req, nodes));
                        return ApiException.noCapacity(RefusalReason.message(req, nodes));
                    });
            NodeInfo node = nodes.stream().filter(n -> n.name().equals(chosen.name())).findFirst().orElseThrow();
            long id = nextLeaseId++;
            long expires = now + duration;
            update("INSERT INTO rm_leases (id, tenant, node, cores, memory_mib, state, created_at, expires_at, ended_at,"
                    + " end_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, '')", id, req.tenant(), node.name(), req.cores(),
                    req.memoryMiB(), ACTIVE, now, expires);
            pending.add(ClusterEvent.lease(ClusterEvent.LEASE_GRANTED, now, node.name(), id, req.tenant(), ""));
            LOG.debug("lease {} granted to {} on {}: cores={} memoryMiB={} for {} ms", id, req.tenant(), node.name(),
                    req.cores(), req.memoryMiB(), duration);
            return grant(id, req.tenant(), node, req.cores(), req.memoryMiB(), expires);
        });
        observer.leaseGranted(granted, System.nanoTime() - start);
        return granted;
    }

    /** Extends an active lease to {@code now + duration} and signs a new token. */
    LeaseGrant renewLease(long id, long durationMillis, long now) {
        long duration = leaseDuration(durationMillis);
        return tx(() -> {
            expireDue(now);
            LeaseInfo lease = requireLease(id);
            if (!lease.active()) {
                throw ApiException.leaseEnded("lease " + id + " cannot be renewed: it is " + lease.state() + " ("
                        + lease.endReason() + ")");
            }
            long expires = Math.max(lease.expiresAtEpochMillis(), now + duration);
            update("UPDATE rm_leases SET expires_at = ? WHERE id = ?", expires, id);
            NodeInfo node = requireNode(lease.node());
            LOG.debug("lease {} renewed until {}", id, expires);
            return grant(id, lease.tenant(), node, lease.cores(), lease.memoryMiB(), expires);
        });
    }

    /** Ends a lease at its holder's request; releasing an ended lease changes nothing. */
    LeaseInfo releaseLease(long id, String reason, long now) {
        return tx(() -> {
            LeaseInfo lease = requireLease(id);
            if (lease.active()) {
                endLease(id, RELEASED, reason, now);
                observer.leasesEnded(RELEASED, lease.node(), 1, reason);
                LOG.debug("lease {} released: {}", id, reason);
            }
            return requireLease(id);
        });
    }

    LeaseInfo lease(long id) {
        return tx(() -> requireLease(id));
    }

    /** Leases, newest first, optionally only those in {@code state}. */
    List<LeaseInfo> leases(String state) {
        return tx(() -> {
            List<LeaseInfo> out = new ArrayList<>();
            try (PreparedStatement ps = state == null ? prepare(LEASE_COLUMNS + " ORDER BY id DESC")
                    : prepare(LEASE_COLUMNS + " WHERE state = ? ORDER BY id DESC", state);
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(ClusterRows.leaseRow(rs));
                }
            }
            return out;
        });
    }

    /**
     * Checks that {@code token} is a genuine token of lease {@code id} (signed with the cluster
     * secret). Its expiry is not checked: an old token of a renewed lease may still release it.
     */
    void authorizeLeaseToken(long id, String token) {
        LeaseClaims claims;
        try {
            claims = tokens.verify(token, Long.MIN_VALUE);
        } catch (InvalidLeaseTokenException e) {
            throw ApiException.unauthorized("lease token refused: " + e.getMessage());
        }
        if (claims.leaseId() != id) {
            throw ApiException.unauthorized("the lease token is for lease " + claims.leaseId() + ", not " + id);
        }
    }

    // ------------------------------------------------------------------ tenants

    TenantInfo createTenant(TenantRequest t, long now) {
        TenantInfo created = tx(() -> Tenants.create(db, t.name(), t.maxCores(), t.maxMemoryMiB(), now));
        LOG.info("tenant {} created (quota: {} cores, {} MiB; 0 = none)", t.name(), t.maxCores(), t.maxMemoryMiB());
        return created;
    }

    TenantInfo rotateTenantKey(String name) {
        TenantInfo t = tx(() -> Tenants.rotateKey(db, name));
        LOG.info("tenant {}: API key rotated", name);
        return t;
    }

    TenantInfo removeTenant(String name) {
        TenantInfo t = tx(() -> Tenants.remove(db, name));
        LOG.info("tenant {} removed", name);
        return t;
    }

    List<TenantInfo> tenants() {
        return tx(() -> Tenants.list(db));
    }

    /** The tenant an API key belongs to; 401 when none. */
    String authenticateTenant(String apiKey) {
        return tx(() -> Tenants.byKey(db, apiKey).map(TenantInfo::name)
                .orElseThrow(() -> ApiException.unauthorized("lease request: unknown API key (create one with `rfaas tenants"
                        + " add`; a rotated or removed tenant's old key stops working)")));
    }

    // ------------------------------------------------------------------ billing

    /**
     * Stores a lease's final accounting. An active lease is ended (its executor is gone, so the
     * capacity comes back). A second report for the same lease is a conflict.
     */
    LeaseBilling reportBilling(long id, BillingReport r, long now) {
        return tx(() -> {
            LeaseInfo lease = requireLease(id);
            if (findBilling(id).isPresent()) {
                throw ApiException.conflict("lease " + id + " is already billed");
            }
            if (lease.active()) {
                // The manager ends a lease at its expiry too, and its report may beat the sweeper: a lease
                // that ran out is EXPIRED, whichever side noticed first.
                boolean ranOut = lease.expiresAtEpochMillis() <= now;
                String state = ranOut ? EXPIRED : RELEASED;
                String reason = ranOut ? "lease expired" : "executor manager reported the final accounting";
                endLease(id, state, reason, now);
                observer.leasesEnded(state, lease.node(), 1, reason);
            }
            update("INSERT INTO rm_billing (lease_id, tenant, node, allocation_nanos, compute_nanos, hot_polling_nanos,"
                    + " memory_mib_seconds, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", id, lease.tenant(), lease.node(),
                    r.allocationNanos(), r.computeNanos(), r.hotPollingNanos(), r.memoryMiBSeconds(), now);
            LOG.info("lease {} billed to {}: allocation={} ms compute={} ms hotPolling={} ms memory={} MiB*s", id,
                    lease.tenant(), r.allocationNanos() / 1_000_000, r.computeNanos() / 1_000_000,
                    r.hotPollingNanos() / 1_000_000, String.format("%.1f", r.memoryMiBSeconds()));
            LeaseBilling billed = findBilling(id).orElseThrow();
            observer.leaseBilled(billed);
            return billed;
        });
    }

    /** The node a lease is (or was) placed on; 404 when the lease is unknown. */
    String leaseNode(long id) {
        return lease(id).node();
    }

    BillingSummary billing() {
        return tx(() -> new BillingSummary(
                Sql.list(db, BILLING_COLUMNS + " ORDER BY lease_id", ClusterRows::billingRow),
                Sql.list(db, ClusterRows.tenantQuery(" GROUP BY tenant ORDER BY tenant"), ClusterRows::tenantRow)));
    }

    TenantBilling tenantBilling(String tenant) {
        return tx(() -> {
            try (PreparedStatement ps = prepare(ClusterRows.tenantQuery(" WHERE tenant = ? GROUP BY tenant"), tenant);
                    ResultSet rs = ps.executeQuery()) {
                return rs.next() ? ClusterRows.tenantRow(rs) : new TenantBilling(tenant, 0, 0, 0, 0, 0.0);
            }
        });
    }

    // ------------------------------------------------------------------ background duties

    /**
     * Expires due leases and marks silent nodes down (revoking their leases). Called by the
     * sweeper; returns how many leases ended.
     */
    int sweep(long now) {
        return tx(() -> {
            int ended = expireDue(now);
            long deadline = now - config.heartbeatTimeoutMillis();
            List<String> silent = new ArrayList<>();
            try (PreparedStatement ps = prepare("SELECT name FROM rm_nodes WHERE state = ? AND last_heartbeat < ?", UP, deadline);
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    silent.add(rs.getString(1));
                }
            }
            for (String name : silent) {
                update("UPDATE rm_nodes SET state = ? WHERE name = ?", DOWN, name);
                pending.add(ClusterEvent.node(ClusterEvent.NODE_DOWN, now, name, "no heartbeat for "
                        + config.heartbeatTimeoutMillis() + " ms"));
                int n = endLeasesOfNode(name, REVOKED, "node " + name + " missed heartbeats for "
                        + config.heartbeatTimeoutMillis() + " ms", now);
                LOG.warn("node {} is down: no heartbeat for {} ms; {} lease(s) revoked", name, config.heartbeatTimeoutMillis(), n);
                observer.nodeEvent(name, StateObserver.NODE_DOWN);
                ended += n;
            }
            return ended;
        });
    }

    /**
     * After a restart, nodes get a fresh heartbeat deadline: the resource manager's own downtime
     * must not count as their silence.
     */
    void graceAfterRestart(long now) {
        tx(() -> update("UPDATE rm_nodes SET last_heartbeat = ? WHERE state <> ? AND last_heartbeat < ?", now, DOWN, now));
    }

    @Override
    public void close() throws SQLException {
        writer.lock();
        try {
            db.close();
        } finally {
            writer.unlock();
        }
    }

    // ------------------------------------------------------------------ helpers (writer held)

    private long leaseDuration(long requested) {
        return requested == 0 ? config.defaultLeaseMillis() : Math.min(requested, config.maxLeaseMillis());
    }

    private LeaseGrant grant(long id, String tenant, NodeInfo node, int cores, long memoryMiB, long expires) {
        String token = tokens.sign(new LeaseClaims(id, tenant, node.name(), cores, memoryMiB, expires));
        return new LeaseGrant(id, tenant, node.name(), node.address(), node.port(), node.transport(), cores, memoryMiB,
                expires, token);
    }

    private int expireDue(long now) throws SQLException {
        int n = endLeases("expires_at <= ?", now, EXPIRED, "lease expired", now);
        if (n > 0) {
            LOG.info("{} lease(s) expired", n);
            observer.leasesEnded(EXPIRED, null, n, "lease expired");
        }
        return n;
    }

    private int endLeasesOfNode(String node, String state, String reason, long now) throws SQLException {
        int n = endLeases("node = ?", node, state, reason, now);
        if (n > 0) {
            observer.leasesEnded(state, node, n, reason);
        }
        return n;
    }

    private void endLease(long id, String state, String reason, long now) throws SQLException {
        endLeases("id = ?", id, state, reason, now);
    }

    /** Ends the active leases matching {@code where} (one parameter) and records their events. */
    private int endLeases(String where, Object arg, String state, String reason, long now) throws SQLException {
        String type = REVOKED.equals(state) ? ClusterEvent.LEASE_REVOKED
                : EXPIRED.equals(state) ? ClusterEvent.LEASE_EXPIRED : ClusterEvent.LEASE_ENDED;
        int n = 0;
        try (PreparedStatement ps = prepare("SELECT id, tenant, node FROM rm_leases WHERE state = ? AND " + where
                + " ORDER BY id", ACTIVE, arg); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                pending.add(ClusterEvent.lease(type, now, rs.getString(3), rs.getLong(1), rs.getString(2), reason));
                freed.add(rs.getString(3));
                n++;
            }
        }
        if (n > 0) {
            update("UPDATE rm_leases SET state = ?, ended_at = ?, end_reason = ? WHERE state = ? AND " + where,
                    state, now, reason, ACTIVE, arg);
        }
        return n;
    }

    private NodeInfo requireNode(String name) throws SQLException {
        return findNode(name).orElseThrow(() -> ApiException.notFound("unknown node '" + name + "'"));
    }

    private Optional<NodeInfo> findNode(String name) throws SQLException {
        List<NodeInfo> l = queryNodes(NODE_QUERY + " WHERE n.name = ?", name);
        return l.isEmpty() ? Optional.empty() : Optional.of(l.getFirst());
    }

    private LeaseInfo requireLease(long id) throws SQLException {
        try (PreparedStatement ps = prepare(LEASE_COLUMNS + " WHERE id = ?", id); ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw ApiException.notFound("unknown lease " + id);
            }
            return ClusterRows.leaseRow(rs);
        }
    }

    private Optional<LeaseBilling> findBilling(long id) throws SQLException {
        try (PreparedStatement ps = prepare(BILLING_COLUMNS + " WHERE lease_id = ?", id); ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(ClusterRows.billingRow(rs)) : Optional.empty();
        }
    }

    private List<NodeInfo> queryNodes(String sql, Object... args) throws SQLException {
        return Sql.list(db, sql, ClusterRows::nodeRow, args);
    }

    private PreparedStatement prepare(String sql, Object... args) throws SQLException {
        return Sql.prepare(db, sql, args);
    }

    private int update(String sql, Object... args) throws SQLException {
        return Sql.update(db, sql, args);
    }
}
