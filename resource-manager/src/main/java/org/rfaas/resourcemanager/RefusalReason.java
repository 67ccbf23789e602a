package org.rfaas.resourcemanager;

import java.util.List;
import org.rfaas.rmclient.LeaseRequest;
import org.rfaas.rmclient.NodeInfo;

/** Why placement refused a lease: a short metric label, and the error message that says it in full. */
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

    /** The label of a refusal of {@code req} by {@code nodes}. */
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

    /** The refusal's message: what was asked and what each node (the first eight) has free or why it is out. */
    static String message(LeaseRequest req, List<NodeInfo> nodes) {
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
}
