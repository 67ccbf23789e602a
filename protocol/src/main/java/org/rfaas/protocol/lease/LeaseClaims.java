package org.rfaas.protocol.lease;

/**
 * What a lease grants, as signed by the resource manager and verified by the executor manager
 * before it spawns anything.
 *
 * @param leaseId unique id assigned by the resource manager
 * @param tenant who is billed
 * @param node name of the executor node the lease is placed on
 * @param cores leased cores (worker threads)
 * @param memoryMiB leased memory in MiB (the executor's heap limit derives from it)
 * @param expiresAtEpochMillis wall-clock expiry; renewals issue a new token with a later expiry
 */
public record LeaseClaims(long leaseId, String tenant, String node, int cores, long memoryMiB,
        long expiresAtEpochMillis) {

    public LeaseClaims {
        if (leaseId <= 0) {
            throw new IllegalArgumentException("leaseId must be positive");
        }
        if (tenant == null || tenant.isEmpty() || tenant.indexOf('|') >= 0) {
            throw new IllegalArgumentException("tenant must be non-empty and must not contain '|'");
        }
        if (node == null || node.isEmpty() || node.indexOf('|') >= 0) {
            throw new IllegalArgumentException("node must be non-empty and must not contain '|'");
        }
        if (cores <= 0 || memoryMiB <= 0) {
            throw new IllegalArgumentException("cores and memoryMiB must be positive");
        }
    }
}
