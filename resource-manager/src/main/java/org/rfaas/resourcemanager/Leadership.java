package org.rfaas.resourcemanager;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which of several resource managers on one database serves: a leadership lease in the row
 * {@code rm_leader} (holder, term, expiry). A standby takes it over once it has expired (the
 * leader died or was cut off), with a new term. The leader renews it every quarter of its length,
 * and every group commit renews it in the same transaction ({@link #fence}): a commit by a leader
 * whose term was taken over fails, so a deposed leader never writes again. Wall clocks of the
 * resource managers are assumed synchronised (NTP) to well within the lease.
 */
final class Leadership implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);
    private static final String RENEW = "UPDATE rm_leader SET expires_at = ? WHERE id = 1 AND holder = ? AND term = ?";

    private final ResourceManagerConfig config;
    private final String holder = UUID.randomUUID().toString();
    private final Connection db;
    private final Consumer<DurableLog.Fence> onElected;
    private final Runnable onDeposed;
    private final Thread thread;
    private volatile long term;
    private volatile boolean leader;
    /** This thread's view: elected and not yet told it is deposed. */
    private boolean serving;
    private volatile boolean closed;

    /**
     * Starts competing: {@code onElected} (given the fence of the new term, for the group commit)
     * runs on this object's thread; so does {@code onDeposed}.
     */
    Leadership(ResourceManagerConfig config, Consumer<DurableLog.Fence> onElected, Runnable onDeposed) throws SQLException {
        this.config = config;
        this.onElected = onElected;
        this.onDeposed = onDeposed;
        Schema.migrate(config);
        this.db = ClusterState.connect(config);
        db.setAutoCommit(false);
        this.thread = Thread.ofPlatform().name("rm-leadership").daemon(true).start(this::run);
    }

    boolean leader() {
        return leader;
    }

    /**
     * The check run by the group commit inside its transaction: renews this leader's lease, and
     * fails the commit when the term is no longer this one's.
     */
    DurableLog.Fence fence(long electedTerm) {
        return c -> {
            try (PreparedStatement ps = c.prepareStatement(RENEW)) {
                ps.setLong(1, System.currentTimeMillis() + config.leaderLeaseMillis());
                ps.setString(2, holder);
                ps.setLong(3, electedTerm);
                if (ps.executeUpdate() != 1) {
                    leader = false;
                    throw new SQLException("leadership of term " + electedTerm + " was taken over; nothing is committed");
                }
            }
        };
    }

    private void run() {
        long period = Math.max(50, config.leaderLeaseMillis() / 4);
        while (!closed) {
            try {
                if (serving) {
                    if (!leader || !renew()) {
                        leader = false;
                        serving = false;
                        LOG.warn("leadership of term {} lost: serving stops", term);
                        onDeposed.run();
                    }
                } else if (tryAcquire()) {
                    leader = true;
                    serving = true;
                    LOG.info("leader now (term {})", term);
                    onElected.accept(fence(term));
                }
            } catch (SQLException | RuntimeException e) {
                LOG.warn("leadership check failed: {}", e.getMessage());
                try {
                    db.rollback();
                } catch (SQLException r) {
                    LOG.debug("rollback failed", r);
                }
            }
            try {
                Thread.sleep(period);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private boolean renew() throws SQLException {
        try (PreparedStatement ps = db.prepareStatement(RENEW)) {
            ps.setLong(1, System.currentTimeMillis() + config.leaderLeaseMillis());
            ps.setString(2, holder);
            ps.setLong(3, term);
            boolean ok = ps.executeUpdate() == 1;
            db.commit();
            return ok;
        }
    }

    /** Takes the lease if nobody holds it or it has expired; the row lock orders competing standbys. */
    private boolean tryAcquire() throws SQLException {
        long now = System.currentTimeMillis();
        try (PreparedStatement ps = db.prepareStatement("SELECT holder, term, expires_at FROM rm_leader WHERE id = 1 FOR UPDATE");
                ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                try (PreparedStatement ins = db.prepareStatement("INSERT INTO rm_leader (id, holder, term, expires_at) VALUES (1, ?, 1, ?)")) {
                    ins.setString(1, holder);
                    ins.setLong(2, now + config.leaderLeaseMillis());
                    ins.executeUpdate();
                }
                db.commit();
                term = 1;
                return true;
            }
            if (rs.getLong(3) >= now) {
                db.rollback();
                return false;
            }
            long next = rs.getLong(2) + 1;
            try (PreparedStatement up = db.prepareStatement("UPDATE rm_leader SET holder = ?, term = ?, expires_at = ? WHERE id = 1")) {
                up.setString(1, holder);
                up.setLong(2, next);
                up.setLong(3, now + config.leaderLeaseMillis());
                up.executeUpdate();
            }
            db.commit();
            LOG.info("leadership lease of {} (term {}) expired; taking over", rs.getString(1), next - 1);
            term = next;
            return true;
        }
    }

    @Override
    public void close() throws SQLException {
        closed = true;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        db.close();
    }
}
