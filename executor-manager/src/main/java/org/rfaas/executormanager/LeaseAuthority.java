package org.rfaas.executormanager;

import org.rfaas.protocol.AllocationRequest;
import org.rfaas.protocol.lease.LeaseClaims;

/**
 * Decides whether an allocation request holds a valid lease, and what the lease grants. The
 * executor manager calls it once per allocation request, before it accepts the package, and then
 * enforces the claims (cores, memory, expiry) itself, together with the node's free capacity.
 *
 * <p>Implementations: {@link StaticLeaseAuthority} (no resource manager: unauthenticated leases,
 * ids assigned here) and {@link TokenLeaseAuthority} (HMAC lease tokens signed by the resource
 * manager with the cluster secret). Must be thread-safe.
 */
public interface LeaseAuthority {

    /**
     * Verifies the request's lease.
     *
     * @param request the decoded, field-validated request
     * @param node this node's name
     * @param nowEpochMillis the current time
     * @return the claims to enforce; their cores and memory must cover the request
     * @throws LeaseRefusedException with the refusal code the client receives
     */
    LeaseClaims authorize(AllocationRequest request, String node, long nowEpochMillis);
}
