package org.rfaas.executormanager;

import org.rfaas.protocol.lease.LeaseClaims;

/**
 * A lease as the executor manager serves it.
 *
 * @param claims what the lease grants (id, tenant, node, cores, memory, expiry)
 * @param executorPid the executor process, or -1 before it was spawned
 * @param startedAtEpochMillis when the executor was spawned
 */
public record LeaseRecord(LeaseClaims claims, long executorPid, long startedAtEpochMillis) {
    /** The lease id. */
    public long leaseId() {
        return claims.leaseId();
    }
}
