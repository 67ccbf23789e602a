package org.rfaas.resourcemanager;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.rfaas.protocol.lease.InvalidLeaseTokenException;
import org.rfaas.protocol.lease.LeaseClaims;
import org.rfaas.protocol.lease.LeaseToken;
import org.rfaas.rmclient.BillingReport;
import org.rfaas.rmclient.BillingSummary;
import org.rfaas.rmclient.ClusterEvent;
import org.rfaas.rmclient.HeartbeatResponse;
import org.rfaas.rmclient.LeaseBilling;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.rmclient.NodeInfo;
import org.rfaas.rmclient.NodeRegistration;
import org.rfaas.rmclient.TenantBilling;
import org.rfaas.rmclient.TenantInfo;
import org.rfaas.rmclient.TenantRequest;
import org.rfaas.resourcemanager.events.EventBus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's nodes, leases and billing: served from memory ({@link LiveState}), recorded in SQL
 * (portable: H2 by default, PostgreSQL works) through a group-committing {@link DurableLog}.
 *
 * <p>A change is decided and made in memory under one lock (microseconds: placement is an index
 * look-up), appended to the log under the same lock, and answered once the commit holding it
 * returned. So no two grants can overbook a node (one lock orders them), every answered change
 * is in the database (a SIGKILL loses only unanswered ones), and many grants share one commit.
 * Heartbeats change the memory only (a node's last heartbeat is not worth a write: after a restart
 * every node gets a fresh deadline) and so never wait for the database unless the node comes back
 * up. Reads of history (ended leases, billing) go to the database after {@link DurableLog#sync}.
 *
 * <p>The events of a change are published on the {@link EventBus} after its commit, in log order.
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

    private static final String LEASE_COLUMNS =
        "SELECT id, tenant, node, cores, memory_mib, state, created_at, expires_at, ended_at, end_reason FROM rm_leases";
    static final String BILLING_COLUMNS =
        "SELECT lease_id, tenant, node, allocation_nanos, compute_nanos, hot_polling_nanos, memory_mib_seconds,"
            + " reported_at FROM rm_billing";
    static final String INSERT_LEASE = "INSERT INTO rm_leases (id, tenant, node, cores, memory_mib, state, created_at,"
            + " expires_at, ended_at, end_reason, request_id) VALUES (?, ?, ?, ?, ?, 'ACTIVE', ?, ?, 0, '', ?)";
    static final String END_LEASE = "UPDATE rm_leases SET state = ?, ended_at = ?, end_reason = ? WHERE id = ?";
    static final String NODE_STATE = "UPDATE rm_nodes SET state = ?, last_heartbeat = ? WHERE name = ?";

    private final ResourceManagerConfig config;
    private final LeaseToken tokens;
    private final PlacementPolicy placement;
    private final Connection db;
    /** Reads of history (listings, billing) use their own connection, so a long query never holds up the group commit. */
    private final Connection reader;
    private final ReentrantLock readerLock = new ReentrantLock();
    private final DurableLog log;
    /** Guards {@link #live}: held for the memory change and the append, never across a commit. */
    final ReentrantLock lock = new ReentrantLock();
    private final Billing billing = new Billing(this);
    private final NodeRegistry nodes = new NodeRegistry(this);
    private final TenantRegistry tenantRegistry = new TenantRegistry(this);
    private final LeaseLifecycle lifecycle = new LeaseLifecycle(this);
    LiveState live;
    private volatile StateObserver observer = StateObserver.NONE;

    private ClusterState(ResourceManagerConfig config, Connection db, Connection reader, EventBus events, DurableLog.Fence fence)
            throws SQLException {
        this.config = config;
        this.tokens = LeaseToken.ofSecret(config.clusterSecret());
        this.placement = config.placementPolicy();
        this.db = db;
        this.reader = reader;
        reader.setAutoCommit(false);
        db.setAutoCommit(false);
        this.live = StateLoader.load(db, System.currentTimeMillis(), config.endedLeaseRetentionMillis());
        this.log = new DurableLog(db, events, this::reloadAfterFailure, fence);
    }

    /** Opens (creating if needed) the database named in the config. */
    static ClusterState open(ResourceManagerConfig config, EventBus events) throws SQLException {
        return open(config, events, null);
    }

    /** Opens the database; {@code fence} (a leader's, or null) runs inside every group commit. */
    static ClusterState open(ResourceManagerConfig config, EventBus events, DurableLog.Fence fence) throws SQLException {
        Connection c = connect(config);
        Connection r = null;
        try {
            // after the first connection: it keeps a named in-memory H2 database alive for the others
            Schema.migrate(config);
            r = connect(config);
            return new ClusterState(config, c, r, events, fence);
        } catch (SQLException | RuntimeException e) {
            if (r != null) {
                r.close();
            }
            c.close();
            throw e;
        }
    }

    /** A connection; without a configured user the URL's own credentials (e.g. {@code ?user=}) apply. */
    static Connection connect(ResourceManagerConfig config) throws SQLException {
        return config.databaseUser().isEmpty() ? DriverManager.getConnection(config.databaseUrl())
                : DriverManager.getConnection(config.databaseUrl(), config.databaseUser(), config.databasePassword());
    }

    /** Tells {@code o} about every change from now on (metrics, dashboard). */
    void observe(StateObserver o) {
        observer = o;
    }

    long retentionMillis() {
        return config.endedLeaseRetentionMillis();
    }

    /** The cluster's default placement policy (a request may name another). */
    PlacementPolicy placement() {
        return placement;
    }

    StateObserver observer() {
        return observer;
    }

    /** After a failed commit: memory ran ahead of the database, so it is rebuilt from it. */
    private void reloadAfterFailure() {
        lock.lock();
        log.connectionLock.lock();
        try {
            log.dropQueued();
            db.rollback();
            live = StateLoader.load(db, System.currentTimeMillis(), config.endedLeaseRetentionMillis());
        } catch (SQLException e) {
            LOG.error("cannot reload the cluster state from the database", e);
        } finally {
            log.connectionLock.unlock();
            lock.unlock();
        }
    }

    /** Runs {@code work} on the memory under the lock, appends its change, then waits until it is durable. */
    <T> T change(long now, java.util.function.Function<Change, T> work) {
        return awaitDurable(changeDeferred(now, work));
    }

    /**
     * A change made in memory and appended to the log, not yet known to be durable: its answer
     * ({@code result}, or the refusal {@code refused}) may go out once change {@code seq} is
     * committed (0: nothing to wait for).
     */
    record Deferred<T>(long seq, T result, RuntimeException refused) {
    }

    /** {@link #change} without the wait: for callers that answer from the commit ({@link DurableLog#whenDurable}). */
    <T> Deferred<T> changeDeferred(long now, java.util.function.Function<Change, T> work) {
        Change c = new Change(this);
        RuntimeException refused = null;
        lock.lock();
        try {
            T r = null;
            try {
                r = work.apply(c);
            } catch (RuntimeException e) {
                // What ran before a refusal (e.g. expiring due leases) is still recorded; so is what ran
                // before a bug threw: the memory has changed, the log must follow it.
                refused = e;
            }
            return new Deferred<>(c.append(now), r, refused);
        } finally {
            lock.unlock();
        }
    }

    /** Waits for a deferred change to be durable; answers its result or throws its refusal. */
    <T> T awaitDurable(Deferred<T> d) {
        if (d.seq() > 0) {
            log.await(d.seq());
        }
        if (d.refused() != null) {
            throw d.refused();
        }
        return d.result();
    }

    /** Appends to the log directly (placement of batches, {@link LeaseBatches}); lock held. */
    DurableLog log() {
        return log;
    }

    // ------------------------------------------------------------------ nodes ({@link NodeRegistry})

    NodeInfo registerNode(NodeRegistration reg, long now, boolean byAdmin) {
        return nodes.registerNode(reg, now, byAdmin);
    }

    HeartbeatResponse heartbeat(String name, long now) {
        return nodes.heartbeat(name, now);
    }

    NodeInfo drainNode(String name, long now) {
        return nodes.drainNode(name, now);
    }

    NodeInfo resumeNode(String name) {
        return nodes.resumeNode(name);
    }

    NodeInfo removeNode(String name, long now) {
        return nodes.removeNode(name, now);
    }

    List<NodeInfo> nodes() {
        return nodes.nodes();
    }

    NodeInfo node(String name) {
        return nodes.node(name);
    }

    // ------------------------------------------------------------------ leases ({@link LeaseLifecycle})

    /** Grants, renewals and releases of leases. */
    LeaseLifecycle lifecycle() {
        return lifecycle;
    }

    LeaseInfo lease(long id) {
        lock.lock();
        try {
            LiveState.Lease l = live.leases.get(id);
            if (l != null) {
                return l.info();
            }
        } finally {
            lock.unlock();
        }
        return storedLease(id);
    }

    /** Leases, newest first, optionally only those in {@code state} (active ones from memory). */
    List<LeaseInfo> leases(String state) {
        if (ACTIVE.equals(state)) {
            lock.lock();
            try {
                List<LeaseInfo> out = new ArrayList<>(live.leases.size());
                live.leases.values().forEach(l -> out.add(l.info()));
                out.sort(java.util.Comparator.comparingLong(LeaseInfo::leaseId).reversed());
                return out;
            } finally {
                lock.unlock();
            }
        }
        return read(db -> state == null ? Sql.list(db, LEASE_COLUMNS + " ORDER BY id DESC", ClusterRows::leaseRow)
                : Sql.list(db, LEASE_COLUMNS + " WHERE state = ? ORDER BY id DESC", ClusterRows::leaseRow, state));
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

    // ------------------------------------------------------------------ tenants ({@link TenantRegistry})

    TenantInfo createTenant(TenantRequest t, long now) {
        return tenantRegistry.create(t, now);
    }

    TenantInfo rotateTenantKey(String name) {
        return tenantRegistry.rotateKey(name);
    }

    TenantInfo removeTenant(String name) {
        return tenantRegistry.remove(name);
    }

    List<TenantInfo> tenants() {
        return tenantRegistry.list();
    }

    /** The tenant an API key belongs to; 401 when none. */
    String authenticateTenant(String apiKey) {
        return tenantRegistry.authenticate(apiKey);
    }

    // ------------------------------------------------------------------ billing

    /** See {@link Billing#report}. */
    LeaseBilling reportBilling(long id, BillingReport r, long now) {
        return billing.report(id, r, now);
    }

    /** The node a lease is (or was) placed on; 404 when the lease is unknown. */
    String leaseNode(long id) {
        return lease(id).node();
    }

    BillingSummary billing() {
        return billing.summary();
    }

    TenantBilling tenantBilling(String tenant) {
        return billing.tenant(tenant);
    }

    // ------------------------------------------------------------------ background duties

    /**
     * Expires due leases and marks silent nodes down (revoking their leases). Called by the
     * sweeper; returns how many leases ended.
     */
    int sweep(long now) {
        List<String> down = new ArrayList<>();
        int[] counts = new int[2];
        change(now, c -> {
            counts[0] = expireDue(c, now);
            long deadline = now - config.heartbeatTimeoutMillis();
            for (LiveState.Node n : live.nodes.values()) {
                if (UP.equals(n.state) && n.lastHeartbeat < deadline) {
                    down.add(n.name);
                }
            }
            for (String name : down) {
                LiveState.Node n = live.nodes.get(name);
                live.setState(n, DOWN);
                c.write(NODE_STATE, DOWN, n.lastHeartbeat, name);
                c.events.add(ClusterEvent.node(ClusterEvent.NODE_DOWN, now, name, "no heartbeat for "
                        + config.heartbeatTimeoutMillis() + " ms"));
                counts[1] += revokeAll(c, n, downReason(name), now);
            }
            return null;
        });
        if (counts[0] > 0) {
            LOG.info("{} lease(s) expired", counts[0]);
            observer.leasesEnded(EXPIRED, null, counts[0], "lease expired");
        }
        for (String name : down) {
            LOG.warn("node {} is down: no heartbeat for {} ms; its leases were revoked", name, config.heartbeatTimeoutMillis());
            observer.nodeEvent(name, StateObserver.NODE_DOWN);
        }
        if (counts[1] > 0) {
            observer.leasesEnded(REVOKED, down.size() == 1 ? down.getFirst() : null, counts[1], down.size() == 1
                    ? downReason(down.getFirst()) : "nodes missed heartbeats");
        }
        return counts[0] + counts[1];
    }

    private String downReason(String name) {
        return "node " + name + " missed heartbeats for " + config.heartbeatTimeoutMillis() + " ms";
    }

    /**
     * After a restart, nodes get a fresh heartbeat deadline: the resource manager's own downtime
     * must not count as their silence. (Loading the state already gave every node {@code now}.)
     */
    void graceAfterRestart(long now) {
        lock.lock();
        try {
            for (LiveState.Node n : live.nodes.values()) {
                n.lastHeartbeat = Math.max(n.lastHeartbeat, now);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Commits what is queued, stops the log and closes the database. */
    @Override
    public void close() throws SQLException {
        log.close();
        log.connectionLock.lock();
        readerLock.lock();
        try {
            reader.close();
            db.close();
        } finally {
            readerLock.unlock();
            log.connectionLock.unlock();
        }
    }

    // ------------------------------------------------------------------ helpers

    long leaseDuration(long requested) {
        return requested == 0 ? config.defaultLeaseMillis() : Math.min(requested, config.maxLeaseMillis());
    }

    LeaseGrant grant(LiveState.Lease l, LiveState.Node n) {
        return signed(l.id, l.tenant, n, l.cores, l.memoryMiB, l.expiresAt);
    }

    LeaseGrant signed(long id, String tenant, LiveState.Node n, int cores, long memoryMiB, long expires) {
        String token = tokens.sign(new LeaseClaims(id, tenant, n.name, cores, memoryMiB, expires));
        return new LeaseGrant(id, tenant, n.name, n.address, n.port, n.transport, cores, memoryMiB, expires, token);
    }

    /** Expires the due leases (lock held); answers how many. */
    int expireDue(Change c, long now) {
        int n = 0;
        while (!live.byExpiry.isEmpty() && live.byExpiry.first().expiresAt <= now) {
            c.endLease(live.byExpiry.first(), EXPIRED, "lease expired", now);
            n++;
        }
        return n;
    }

    int revokeAll(Change c, LiveState.Node n, String reason, long now) {
        List<LiveState.Lease> held = new ArrayList<>(n.leases.values());
        for (LiveState.Lease l : held) {
            c.endLease(l, REVOKED, reason, now);
        }
        return held.size();
    }

    LiveState.Node requireNode(String name) {
        LiveState.Node n = live.nodes.get(name);
        if (n == null) {
            throw ApiException.notFound("unknown node '" + name + "'");
        }
        return n;
    }

    @FunctionalInterface
    interface Read<T> {
        T run(Connection db) throws SQLException;
    }

    /** Reads the database once every change acknowledged so far is in it. */
    <T> T read(Read<T> query) {
        log.sync();
        readerLock.lock();
        try {
            T result = query.run(reader);
            reader.commit();
            return result;
        } catch (SQLException e) {
            throw new IllegalStateException("database failure: " + e.getMessage(), e);
        } finally {
            readerLock.unlock();
        }
    }

    /** A lease's record from the database (404 when unknown); a read: never on the commit thread. */
    LeaseInfo storedLease(long id) {
        List<LeaseInfo> l = read(db -> Sql.list(db, LEASE_COLUMNS + " WHERE id = ?", ClusterRows::leaseRow, id));
        if (l.isEmpty()) {
            throw ApiException.notFound("unknown lease " + id);
        }
        return l.getFirst();
    }
}
