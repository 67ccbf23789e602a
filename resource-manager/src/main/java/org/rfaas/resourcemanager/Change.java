package org.rfaas.resourcemanager;

import java.util.ArrayList;
import java.util.List;
import org.rfaas.rmclient.ClusterEvent;

/** The writes and events of one change, appended as one log entry. */
final class Change {
    private final ClusterState cluster;

    final List<DurableLog.Write> writes = new ArrayList<>(4);
    final List<ClusterEvent> events = new ArrayList<>(4);
    /** Nodes whose capacity came back: a capacity event each (if up) when appended. */
    private final List<LiveState.Node> freed = new ArrayList<>(2);

    Change(ClusterState cluster) {
        this.cluster = cluster;
    }

    void write(String sql, Object... args) {
        writes.add(new DurableLog.Write(sql, args));
    }

    /** Ends an active lease in memory and in the log (with its event). */
    void endLease(LiveState.Lease l, String state, String reason, long now) {
        cluster.live.end(l, state, reason, now, cluster.retentionMillis());
        write(ClusterState.END_LEASE, state, now, reason, l.id);
        String type = ClusterState.REVOKED.equals(state) ? ClusterEvent.LEASE_REVOKED
                : ClusterState.EXPIRED.equals(state) ? ClusterEvent.LEASE_EXPIRED : ClusterEvent.LEASE_ENDED;
        events.add(ClusterEvent.lease(type, now, l.node.name, l.id, l.tenant, reason));
        freed(l.node);
    }

    void freed(LiveState.Node n) {
        if (!freed.contains(n)) {
            freed.add(n);
        }
    }

    /** Appends (lock held); answers the number to await, 0 when nothing changed. */
    long append(long now) {
        for (LiveState.Node n : freed) {
            if (ClusterState.UP.equals(n.state) && cluster.live.nodes.get(n.name) == n) {
                events.add(ClusterEvent.capacity(now, n.name, n.freeCores(), n.freeMemoryMiB()));
            }
        }
        return writes.isEmpty() ? 0 : cluster.log().append(writes, events);
    }
}
