package org.rfaas.rmclient;

import java.util.Set;

/**
 * One change in the cluster, as pushed by the resource manager on {@code GET /v1/events}
 * (Server-Sent Events: {@code event: <type>}, {@code id: <seq>}, {@code data: <this as JSON>}).
 *
 * @param seq increasing number of the event within one resource-manager run
 * @param type one of {@link #TYPES}
 * @param atEpochMillis when it happened
 * @param node the node concerned ("" for none)
 * @param leaseId the lease concerned (0 for node and capacity events)
 * @param tenant the lease's tenant ("" for node and capacity events)
 * @param reason why (lease end reason, node state change), may be ""
 * @param freeCores the node's free cores after the change (capacity events; -1 otherwise)
 * @param freeMemoryMiB the node's free memory after the change (capacity events; -1 otherwise)
 */
public record ClusterEvent(long seq, String type, long atEpochMillis, String node, long leaseId, String tenant,
        String reason, int freeCores, long freeMemoryMiB) {
    public static final String LEASE_GRANTED = "LEASE_GRANTED";
    public static final String LEASE_REVOKED = "LEASE_REVOKED";
    public static final String LEASE_ENDED = "LEASE_ENDED";
    public static final String LEASE_EXPIRED = "LEASE_EXPIRED";
    public static final String NODE_ADDED = "NODE_ADDED";
    public static final String NODE_DRAINED = "NODE_DRAINED";
    public static final String NODE_RESUMED = "NODE_RESUMED";
    public static final String NODE_DOWN = "NODE_DOWN";
    public static final String NODE_REMOVED = "NODE_REMOVED";
    public static final String CAPACITY_FREED = "CAPACITY_FREED";
    /** Every event type. */
    public static final Set<String> TYPES = Set.of(LEASE_GRANTED, LEASE_REVOKED, LEASE_ENDED, LEASE_EXPIRED, NODE_ADDED,
            NODE_DRAINED, NODE_RESUMED, NODE_DOWN, NODE_REMOVED, CAPACITY_FREED);

    public ClusterEvent {
        if (type == null || !TYPES.contains(type)) {
            throw new IllegalArgumentException("unknown cluster event type " + type);
        }
        node = node == null ? "" : node;
        tenant = tenant == null ? "" : tenant;
        reason = reason == null ? "" : reason;
        Checks.nonNegative("leaseId", leaseId);
    }

    /** A lease event (granted, revoked, ended, expired). */
    public static ClusterEvent lease(String type, long at, String node, long leaseId, String tenant, String reason) {
        return new ClusterEvent(0, type, at, node, leaseId, tenant, reason, -1, -1);
    }

    /** A node event (added, drained, resumed, down, removed). */
    public static ClusterEvent node(String type, long at, String node, String reason) {
        return new ClusterEvent(0, type, at, node, 0, "", reason, -1, -1);
    }

    /** Capacity became free on {@code node}. */
    public static ClusterEvent capacity(long at, String node, int freeCores, long freeMemoryMiB) {
        return new ClusterEvent(0, CAPACITY_FREED, at, node, 0, "", "", freeCores, freeMemoryMiB);
    }

    /** This event numbered {@code seq}. */
    public ClusterEvent withSeq(long seq) {
        return new ClusterEvent(seq, type, atEpochMillis, node, leaseId, tenant, reason, freeCores, freeMemoryMiB);
    }

    /** Whether the event concerns a lease (rather than a node or capacity). */
    public boolean isLeaseEvent() {
        return leaseId != 0;
    }
}
