package org.rfaas.resourcemanager;

import java.util.List;
import org.rfaas.protocol.rm.LeaseRequest;
import org.rfaas.protocol.rm.NodeInfo;

/** Why placement refused a lease, as a short metric label (the error message says it in full). */
final class RefusalReason {
    /** No node is registered. */
    static final String NO_NODES = "no_nodes";
    /** Nodes are registered but none is UP (all draining or down). */
    static final String NO_NODE_UP = "no_node_up";
    /** No UP node is big enough even when empty: the request can never fit as the cluster stands. */
    static final String TOO_LARGE = "too_large";
    /** Some UP node could hold it, but not with what its active leases leave free. */
    static final String NO_FREE_CAPACITY = "no_free_capacity";

    private RefusalReason() {
    }

    static String of(LeaseRequest req, List<NodeInfo> nodes) {
        if (nodes.isEmpty()) {
            return NO_NODES;
        }
        boolean anyUp = false;
        for (NodeInfo n : nodes) {
            if (ClusterState.UP.equals(n.state())) {
                anyUp = true;
                if (n.cores() >= req.cores() && n.memoryMiB() >= req.memoryMiB()) {
                    return NO_FREE_CAPACITY;
                }
            }
        }
        return anyUp ? TOO_LARGE : NO_NODE_UP;
    }
}
