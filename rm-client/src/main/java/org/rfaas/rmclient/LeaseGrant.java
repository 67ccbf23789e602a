package org.rfaas.rmclient;

/**
 * A granted (or renewed) lease: where to allocate the executor and the token that proves it.
 *
 * @param leaseId unique lease id
 * @param tenant who is billed
 * @param node name of the node the lease is placed on
 * @param nodeAddress the node's executor manager address (see {@link NodeRegistration#address()})
 * @param nodePort the node's executor manager port, 0 when the address is complete
 * @param transport transport provider of the node's executor manager
 * @param cores leased cores
 * @param memoryMiB leased memory in MiB
 * @param expiresAtEpochMillis wall-clock expiry
 * @param token signed lease token ({@link org.rfaas.protocol.lease.LeaseToken}); the executor
 *     manager verifies it before it spawns anything; also the bearer token for renew and release
 */
public record LeaseGrant(long leaseId, String tenant, String node, String nodeAddress, int nodePort, String transport,
        int cores, long memoryMiB, long expiresAtEpochMillis, String token) {
}
