package org.rfaas.rmclient;

import java.util.List;

/**
 * Answer to a heartbeat.
 *
 * @param node the node's name
 * @param state the node's state after this heartbeat ({@code UP} or {@code DRAINING})
 * @param activeLeaseIds leases currently placed on the node
 * @param activeLeases the same leases with their current expiry (later than the token's after a
 *     renewal): the executor manager extends its own enforcement to it
 * @param endedLeases leases of this node that ended recently (within the resource manager's
 *     retention window, so a lost reply is harmless): their executors must be stopped. The list is
 *     idempotent; stopping an executor that is already gone is a no-op.
 */
public record HeartbeatResponse(String node, String state, List<Long> activeLeaseIds, List<ActiveLease> activeLeases,
        List<EndedLease> endedLeases) {
    public HeartbeatResponse {
        activeLeaseIds = List.copyOf(activeLeaseIds);
        activeLeases = activeLeases == null ? List.of() : List.copyOf(activeLeases);
        endedLeases = List.copyOf(endedLeases);
    }
}
