package org.rfaas.resourcemanager;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.rfaas.rmclient.ClusterEvent;
import org.rfaas.resourcemanager.events.EventBus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database as a durable log of the changes {@link ClusterState} made in memory, with group
 * commit: a change is appended (in the order the memory changed), and its caller is answered only
 * once a commit holding it returned; one commit carries every change queued while the previous one
 * was written, so the database's per-commit cost (H2's file write, PostgreSQL's fsync) is paid per
 * batch, not per grant. Consecutive writes of the same statement go out as one JDBC batch.
 *
 * <p>One thread writes, holding {@link #connectionLock}; readers of the database (listings,
 * billing) take the same lock after {@link #sync()}, so they see every change acknowledged before
 * they asked. The events of a batch are published after its commit, in log order; a failed batch
 * publishes nothing and fails every change that waited on it ({@code onFailure} then rebuilds the
 * memory from the database).
 */
final class DurableLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DurableLog.class);

    /** Run inside every batch's transaction before its writes (a leader's fencing); throws to refuse the commit. */
    @FunctionalInterface
    interface Fence {
        void check(Connection db) throws SQLException;
    }

    /** One SQL statement with its parameters. */
    record Write(String sql, Object... args) {
    }

    private record Entry(List<Write> writes, List<ClusterEvent> events) {
    }

    private final Connection db;
    final ReentrantLock connectionLock = new ReentrantLock();
    private final EventBus events;
    /**
     * Called after a failed batch: takes the state lock, calls {@link #dropQueued} (what was queued
     * meanwhile was decided on a memory the failure invalidates) and rebuilds the memory.
     */
    private final Runnable onFailure;
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    private final Object monitor = new Object();
    private ArrayList<Entry> queue = new ArrayList<>();
    private long appended;
    /**
     * Changes numbered up to this are committed (or failed). Read without the monitor: a waiter
     * checks it and parks, and the action it left in {@link #actions} unparks it, so that a commit
     * wakes exactly its own callers and none of them contends for the monitor.
     */
    private volatile long durable;
    /** Changes numbered up to this were in a failed batch: their callers get an error. Written before {@link #durable}. */
    private volatile long failedUpTo;
    private long batches;
    private long changes;
    private boolean closed;
    private final Thread thread;

    private final Fence fence;

    DurableLog(Connection db, EventBus events, Runnable onFailure, Fence fence) {
        this.db = db;
        this.fence = fence;
        this.events = events;
        this.onFailure = onFailure;
        this.thread = Thread.ofPlatform().name("rm-group-commit").daemon(true).start(this::run);
    }

    /**
     * Queues a change already made in memory; answers its number for {@link #await}. Called under
     * the state lock, so the log's order is the memory's order.
     */
    long append(List<Write> writes, List<ClusterEvent> evs) {
        synchronized (monitor) {
            if (closed) {
                throw new IllegalStateException("the resource manager is closing");
            }
            queue.add(new Entry(writes, evs));
            if (queue.size() == 1) {
                monitor.notifyAll();
            }
            return ++appended;
        }
    }

    /** The number of the last change appended (0: none); {@link #await} it to see everything so far durable. */
    long appended() {
        synchronized (monitor) {
            return appended;
        }
    }

    /** Waits until change {@code seq} is committed; throws when its batch failed. */
    void await(long seq) {
        if (durable < seq) {
            boolean interrupted = false;
            Thread caller = Thread.currentThread();
            whenDurable(seq, ok -> LockSupport.unpark(caller));
            while (durable < seq) {
                LockSupport.park(this);
                interrupted |= Thread.interrupted();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (seq <= failedUpTo) {
            throw new IllegalStateException("database failure: the change was not recorded");
        }
    }

    /** What to do once a change is durable ({@link #whenDurable}); identity, not value, equality. */
    private static final class Action {
        final long seq;
        final java.util.function.Consumer<Boolean> run;

        Action(long seq, java.util.function.Consumer<Boolean> run) {
            this.seq = seq;
            this.run = run;
        }
    }

    private final ConcurrentLinkedQueue<Action> actions = new ConcurrentLinkedQueue<>();

    /**
     * Runs {@code action} once change {@code seq} is committed (with true) or failed (false): at
     * once on this thread when it already is, otherwise on the commit thread right after the commit,
     * in the order the actions were given. For answering without a thread waiting per change; the
     * action must not block (it runs on the commit thread) and must not wait for the log.
     */
    void whenDurable(long seq, java.util.function.Consumer<Boolean> action) {
        if (durable < seq) {
            Action a = new Action(seq, action);
            actions.add(a);
            // the commit thread may have raised durable after the check and run its actions before the add
            if (durable < seq || !actions.remove(a)) {
                return;
            }
        }
        action.accept(seq <= 0 || seq > failedUpTo); // 0: a change that wrote nothing
    }

    /** Runs the actions (waiters' wake-ups among them) whose change is now durable (or failed). */
    private void wakeDurable() {
        long upTo = durable;
        for (var it = actions.iterator(); it.hasNext(); ) {
            Action a = it.next();
            if (a.seq <= upTo && actions.remove(a)) {
                try {
                    a.run.accept(a.seq > failedUpTo);
                } catch (RuntimeException e) {
                    LOG.error("an action after commit {} failed", a.seq, e);
                }
            }
        }
    }

    /** After a failed batch, under the state lock: fails and forgets every queued change. */
    void dropQueued() {
        synchronized (monitor) {
            LOG.error("{} queued change(s) dropped after the failed commit", queue.size());
            queue.clear();
            failedUpTo = appended;
            durable = appended;
        }
        wakeDurable();
    }

    /** Waits until every change appended so far is committed (or failed). */
    void sync() {
        long upTo;
        synchronized (monitor) {
            upTo = appended;
        }
        try {
            await(upTo);
        } catch (IllegalStateException e) {
            // a reader only wants to see what is durable; the failure was reported to the writer
        }
    }

    /** Commits so far and changes in them (for the journal / diagnostics). */
    long[] counts() {
        synchronized (monitor) {
            return new long[] {batches, changes};
        }
    }

    private void run() {
        while (true) {
            ArrayList<Entry> batch;
            long upTo;
            synchronized (monitor) {
                while (queue.isEmpty() && !closed) {
                    try {
                        monitor.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (queue.isEmpty()) {
                    return;
                }
                batch = queue;
                queue = new ArrayList<>(Math.max(16, batch.size()));
                upTo = appended;
            }
            boolean ok = write(batch);
            if (!ok) {
                synchronized (monitor) {
                    failedUpTo = Math.max(failedUpTo, upTo);
                }
                onFailure.run();
            }
            synchronized (monitor) {
                durable = Math.max(durable, upTo);
                if (ok) {
                    batches++;
                    changes += batch.size();
                }
            }
            wakeDurable();
            if (ok) {
                for (Entry e : batch) {
                    for (ClusterEvent ev : e.events) {
                        events.publish(ev);
                    }
                }
            }
        }
    }

    private boolean write(List<Entry> batch) {
        connectionLock.lock();
        try {
            if (fence != null) {
                fence.check(db);
            }
            PreparedStatement open = null;
            int pending = 0;
            for (Entry e : batch) {
                for (Write w : e.writes) {
                    PreparedStatement ps = statement(w.sql());
                    if (ps != open && open != null) {
                        open.executeBatch();
                        pending = 0;
                    }
                    open = ps;
                    for (int i = 0; i < w.args().length; i++) {
                        ps.setObject(i + 1, w.args()[i]);
                    }
                    ps.addBatch();
                    pending++;
                }
            }
            if (open != null && pending > 0) {
                open.executeBatch();
            }
            db.commit();
            return true;
        } catch (SQLException | RuntimeException e) {
            LOG.error("group commit of {} change(s) failed; the state is reloaded from the database", batch.size(), e);
            try {
                db.rollback();
            } catch (SQLException r) {
                LOG.error("rollback failed", r);
            }
            closeStatements();
            return false;
        } finally {
            connectionLock.unlock();
        }
    }

    private PreparedStatement statement(String sql) throws SQLException {
        PreparedStatement ps = statements.get(sql);
        if (ps == null) {
            ps = db.prepareStatement(sql);
            statements.put(sql, ps);
        }
        return ps;
    }

    private void closeStatements() {
        for (PreparedStatement ps : statements.values()) {
            try {
                ps.close();
            } catch (SQLException e) {
                LOG.debug("closing a statement failed", e);
            }
        }
        statements.clear();
    }

    /** Writes what is queued and stops the commit thread. */
    @Override
    public void close() {
        synchronized (monitor) {
            closed = true;
            monitor.notifyAll();
        }
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        connectionLock.lock();
        try {
            closeStatements();
        } finally {
            connectionLock.unlock();
        }
    }
}
