package org.rfaas.executormanager;

import org.rfaas.protocol.AllocationRefusal;
import org.rfaas.protocol.AllocationRequest;
import org.rfaas.protocol.lease.InvalidLeaseTokenException;
import org.rfaas.protocol.lease.LeaseClaims;
import org.rfaas.protocol.lease.LeaseToken;

/**
 * Leases granted by the resource manager: the request carries a token signed with the cluster
 * secret; it must verify, name this node and the request's lease id, and cover the requested cores
 * and memory.
 */
public final class TokenLeaseAuthority implements LeaseAuthority {
    private final LeaseToken tokens;

    public TokenLeaseAuthority(LeaseToken tokens) {
        this.tokens = tokens;
    }

    @Override
    public LeaseClaims authorize(AllocationRequest request, String node, long nowEpochMillis) {
        LeaseClaims claims;
        try {
            claims = tokens.verify(request.token(), nowEpochMillis);
        } catch (InvalidLeaseTokenException e) {
            AllocationRefusal refusal = e.reason() == InvalidLeaseTokenException.Reason.EXPIRED
                    ? AllocationRefusal.LEASE_EXPIRED : AllocationRefusal.INVALID_LEASE;
            throw new LeaseRefusedException(refusal, e.getMessage());
        }
        if (claims.leaseId() != request.leaseId()) {
            throw new LeaseRefusedException(AllocationRefusal.INVALID_LEASE, "token is for lease " + claims.leaseId()
                    + ", the request names lease " + request.leaseId());
        }
        if (!claims.node().equals(node)) {
            throw new LeaseRefusedException(AllocationRefusal.INVALID_LEASE, "lease " + claims.leaseId()
                    + " is for node " + claims.node() + ", this is " + node);
        }
        if (request.shape().cores() > claims.cores() || request.shape().memoryMiB() > claims.memoryMiB()) {
            throw new LeaseRefusedException(AllocationRefusal.BAD_REQUEST, "request for " + request.shape().cores()
                    + " cores and " + request.shape().memoryMiB() + " MiB exceeds lease " + claims.leaseId() + " ("
                    + claims.cores() + " cores, " + claims.memoryMiB() + " MiB)");
        }
        return claims;
    }
}
