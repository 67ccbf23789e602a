package org.rfaas.resourcemanager;

import java.util.ArrayList;
import java.util.List;
import org.rfaas.rmclient.ActiveLease;
import org.rfaas.rmclient.ClusterEvent;
import org.rfaas.rmclient.EndedLease;
import org.rfaas.rmclient.HeartbeatResponse;
import org.rfaas.rmclient.NodeInfo;
import org.rfaas.rmclient.NodeRegistration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Node lifecycle of {@link ClusterState}: register, heartbeat, drain, resume, remove, listings. */
final class NodeRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterState.class);

    private final ClusterState cluster;

    NodeRegistry(ClusterState cluster) {
        this.cluster = cluster;
    }

    /**
     * Registers or re-registers a node (executor manager at start-up, or a batch system adding it).
     * A known node keeps its leases and its drain flag; a node that was down comes back up.
     */
    NodeInfo registerNode(NodeRegistration reg, long now, boolean byAdmin) {
        boolean[] known = new boolean[1];
        NodeInfo info = cluster.change(now, c -> {
            if (cluster.live.removedNodes.remove(reg.name())) {
                c.write("DELETE FROM rm_removed_nodes WHERE name = ?", reg.name());
            }
            LiveState.Node old = cluster.live.nodes.get(reg.name());
            known[0] = old != null;
            boolean wasDown = old != null && ClusterState.DOWN.equals(old.state);
            String state = old != null && ClusterState.DRAINING.equals(old.state) ? ClusterState.DRAINING : ClusterState.UP;
            LiveState.Node n = cluster.live.putNode(reg.name(), reg.address(), reg.port(), reg.transport(), reg.cores(),
                    reg.memoryMiB(), state);
            n.lastHeartbeat = now;
            if (old == null) {
                c.write("INSERT INTO rm_nodes (name, address, port, transport, cores, memory_mib, state, registered_at,"
                        + " last_heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", reg.name(), reg.address(), reg.port(),
                        reg.transport(), reg.cores(), reg.memoryMiB(), state, now, now);
            } else {
                c.write("UPDATE rm_nodes SET address = ?, port = ?, transport = ?, cores = ?, memory_mib = ?, state = ?,"
                        + " last_heartbeat = ? WHERE name = ?", reg.address(), reg.port(), reg.transport(), reg.cores(),
                        reg.memoryMiB(), state, now, reg.name());
            }
            if (old == null || wasDown) {
                c.events.add(ClusterEvent.node(old == null ? ClusterEvent.NODE_ADDED : ClusterEvent.NODE_RESUMED, now,
                        reg.name(), old == null ? "registered" : "registered again after being down"));
            }
            c.freed(n);
            return n.info();
        });
        LOG.info("node {} {} by {}: {} {}:{} cores={} memoryMiB={}", reg.name(), known[0] ? "re-registered" : "registered",
                byAdmin ? "admin" : "its executor manager", reg.transport(), reg.address(), reg.port(), reg.cores(), reg.memoryMiB());
        cluster.observer().nodeEvent(reg.name(), known[0] ? StateObserver.NODE_REREGISTERED : StateObserver.NODE_ADDED);
        return info;
    }

    /**
     * Records a heartbeat; answers with the node's active leases and those that ended recently.
     * Served from memory: it waits for the database only when a down node comes back up.
     */
    HeartbeatResponse heartbeat(String name, long now) {
        boolean[] back = new boolean[1];
        HeartbeatResponse r = cluster.change(now, c -> {
            LiveState.Node n = cluster.live.nodes.get(name);
            if (n == null) {
                if (cluster.live.removedNodes.contains(name)) {
                    throw ApiException.nodeRemoved("node '" + name + "' was removed by an administrator; its leases"
                            + " were revoked. Register again to rejoin.");
                }
                throw ApiException.notFound("unknown node '" + name + "'; register first");
            }
            if (ClusterState.DOWN.equals(n.state)) {
                cluster.live.setState(n, ClusterState.UP);
                c.write(ClusterState.NODE_STATE, ClusterState.UP, now, name);
                c.events.add(ClusterEvent.node(ClusterEvent.NODE_RESUMED, now, name, "heartbeats resumed"));
                c.freed(n);
                back[0] = true;
            }
            n.lastHeartbeat = now;
            List<Long> active = new ArrayList<>(n.leases.size());
            List<ActiveLease> activeLeases = new ArrayList<>(n.leases.size());
            for (LiveState.Lease l : n.leases.values()) {
                active.add(l.id);
                activeLeases.add(new ActiveLease(l.id, l.expiresAt));
            }
            n.prune(now, cluster.retentionMillis());
            List<EndedLease> ended = new ArrayList<>(n.ended);
            ended.sort(java.util.Comparator.comparingLong(EndedLease::leaseId));
            return new HeartbeatResponse(name, n.state, active, activeLeases, ended);
        });
        if (back[0]) {
            LOG.info("node {} is back after missing heartbeats; its old leases stay revoked", name);
            cluster.observer().nodeEvent(name, StateObserver.NODE_BACK);
        }
        return r;
    }

    /** Stops placing leases on a node and revokes its active leases. */
    NodeInfo drainNode(String name, long now) {
        int[] revoked = new int[1];
        String reason = "node " + name + " was drained";
        NodeInfo info = cluster.change(now, c -> {
            LiveState.Node n = cluster.requireNode(name);
            // A down node is drained too: when its manager comes back during a batch job it must stay out.
            cluster.live.setState(n, ClusterState.DRAINING);
            c.write(ClusterState.NODE_STATE, ClusterState.DRAINING, n.lastHeartbeat, name);
            c.events.add(ClusterEvent.node(ClusterEvent.NODE_DRAINED, now, name, "drained"));
            revoked[0] = cluster.revokeAll(c, n, reason, now);
            return n.info();
        });
        LOG.info("node {} drained; {} lease(s) revoked", name, revoked[0]);
        if (revoked[0] > 0) {
            cluster.observer().leasesEnded(ClusterState.REVOKED, name, revoked[0], reason);
        }
        cluster.observer().nodeEvent(name, StateObserver.NODE_DRAINED);
        return info;
    }

    /** Lets a drained node take leases again. */
    NodeInfo resumeNode(String name) {
        long now = System.currentTimeMillis();
        NodeInfo info = cluster.change(now, c -> {
            LiveState.Node n = cluster.requireNode(name);
            if (ClusterState.DRAINING.equals(n.state)) {
                cluster.live.setState(n, ClusterState.UP);
                c.write(ClusterState.NODE_STATE, ClusterState.UP, n.lastHeartbeat, name);
                c.events.add(ClusterEvent.node(ClusterEvent.NODE_RESUMED, now, name, "resumed"));
                c.freed(n);
            }
            return n.info();
        });
        LOG.info("node {} resumed", name);
        cluster.observer().nodeEvent(name, StateObserver.NODE_RESUMED);
        return info;
    }

    /** Removes a node after revoking its active leases; answers with its last record. */
    NodeInfo removeNode(String name, long now) {
        int[] revoked = new int[1];
        String reason = "node " + name + " was removed from the cluster";
        NodeInfo last = cluster.change(now, c -> {
            LiveState.Node n = cluster.requireNode(name);
            NodeInfo before = n.info();
            revoked[0] = cluster.revokeAll(c, n, reason, now);
            cluster.live.removeNode(n);
            cluster.live.removedNodes.add(name);
            c.write("DELETE FROM rm_nodes WHERE name = ?", name);
            c.write("DELETE FROM rm_removed_nodes WHERE name = ?", name);
            c.write("INSERT INTO rm_removed_nodes (name, removed_at) VALUES (?, ?)", name, now);
            c.events.add(ClusterEvent.node(ClusterEvent.NODE_REMOVED, now, name, "removed"));
            return before;
        });
        LOG.info("node {} removed; {} lease(s) revoked", name, revoked[0]);
        if (revoked[0] > 0) {
            cluster.observer().leasesEnded(ClusterState.REVOKED, name, revoked[0], reason);
        }
        cluster.observer().nodeEvent(name, StateObserver.NODE_REMOVED);
        return last;
    }

    List<NodeInfo> nodes() {
        cluster.lock.lock();
        try {
            List<NodeInfo> out = new ArrayList<>(cluster.live.nodes.size());
            for (LiveState.Node n : cluster.live.nodes.values()) {
                out.add(n.info());
            }
            return out;
        } finally {
            cluster.lock.unlock();
        }
    }

    NodeInfo node(String name) {
        cluster.lock.lock();
        try {
            return cluster.requireNode(name).info();
        } finally {
            cluster.lock.unlock();
        }
    }
}
