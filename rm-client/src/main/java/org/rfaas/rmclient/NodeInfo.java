package org.rfaas.rmclient;

/**
 * A node as the resource manager sees it, with its free capacity.
 *
 * @param state {@code UP}, {@code DRAINING} (no new leases) or {@code DOWN} (missed heartbeats)
 * @param freeCores cores not held by an active lease
 * @param freeMemoryMiB memory not held by an active lease
 * @param activeLeases number of active leases placed on the node
 * @param lastHeartbeatEpochMillis last registration or heartbeat, wall clock
 */
public record NodeInfo(String name, String address, int port, String transport, int cores, long memoryMiB,
        String state, int freeCores, long freeMemoryMiB, int activeLeases, long lastHeartbeatEpochMillis) {
}
