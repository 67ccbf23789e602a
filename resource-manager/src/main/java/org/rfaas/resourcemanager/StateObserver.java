package org.rfaas.resourcemanager;

import java.util.List;
import org.rfaas.rmclient.LeaseBilling;
import org.rfaas.rmclient.LeaseGrant;

/**
 * Told by the cluster state when something changed: the metrics count from it and the dashboard
 * pushes a fresh view. Called inside the state's single-writer section (or right after it), so an
 * implementation must be quick and must not block: count, enqueue, set a flag.
 */
public interface StateObserver {
    /** Node lifecycle events named by {@link #nodeEvent}. */
    String NODE_ADDED = "added";
    String NODE_REREGISTERED = "re-registered";
    String NODE_DRAINED = "drained";
    String NODE_RESUMED = "resumed";
    String NODE_DOWN = "down";
    String NODE_BACK = "back";
    String NODE_REMOVED = "removed";

    /** An observer that ignores everything. */
    StateObserver NONE = new StateObserver() { };

    /** A node was added, re-registered, drained, resumed, marked down, came back or was removed. */
    default void nodeEvent(String node, String event) {
    }

    /** A lease was granted; {@code latencyNanos} is the request's time inside the state (lock wait included). */
    default void leaseGranted(LeaseGrant grant, long latencyNanos) {
    }

    /** A lease request was refused for want of capacity; {@code reason} is a short label. */
    default void leaseRefused(String reason) {
    }

    /**
     * {@code count} leases ended in {@code endState} ({@code RELEASED}, {@code EXPIRED} or
     * {@code REVOKED}); {@code node} is their node, or null when they may be on several.
     */
    default void leasesEnded(String endState, String node, int count, String reason) {
    }

    /** An executor manager reported a lease's final accounting. */
    default void leaseBilled(LeaseBilling billing) {
    }

    /** Tells each of {@code observers}, in order. */
    static StateObserver all(List<StateObserver> observers) {
        List<StateObserver> list = List.copyOf(observers);
        return new StateObserver() {
            @Override
            public void nodeEvent(String node, String event) {
                list.forEach(o -> o.nodeEvent(node, event));
            }

            @Override
            public void leaseGranted(LeaseGrant grant, long latencyNanos) {
                list.forEach(o -> o.leaseGranted(grant, latencyNanos));
            }

            @Override
            public void leaseRefused(String reason) {
                list.forEach(o -> o.leaseRefused(reason));
            }

            @Override
            public void leasesEnded(String endState, String node, int count, String reason) {
                list.forEach(o -> o.leasesEnded(endState, node, count, reason));
            }

            @Override
            public void leaseBilled(LeaseBilling billing) {
                list.forEach(o -> o.leaseBilled(billing));
            }
        };
    }
}
