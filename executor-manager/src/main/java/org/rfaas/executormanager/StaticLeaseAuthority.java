package org.rfaas.executormanager;

import java.util.concurrent.atomic.AtomicLong;
import org.rfaas.protocol.AllocationRefusal;
import org.rfaas.protocol.AllocationRequest;
import org.rfaas.protocol.lease.LeaseClaims;

/**
 * Leases without a resource manager: any client may allocate within the node's free capacity
 * (checked by the manager). Lease ids are assigned here, from the clock so that restarts do not
 * reuse them; the tenant is {@code anonymous}.
 */
public final class StaticLeaseAuthority implements LeaseAuthority {
    private final long defaultDurationMillis;
    private final AtomicLong nextId = new AtomicLong(System.currentTimeMillis() * 1000);

    /** @param defaultDurationMillis lease length when the request names none */
    public StaticLeaseAuthority(long defaultDurationMillis) {
        this.defaultDurationMillis = defaultDurationMillis;
    }

    @Override
    public LeaseClaims authorize(AllocationRequest request, String node, long nowEpochMillis) {
        if (request.leaseId() != 0 || !request.token().isEmpty()) {
            throw new LeaseRefusedException(AllocationRefusal.INVALID_LEASE, "node " + node
                    + " takes no resource-manager leases (it has no cluster secret); send lease id 0 without a token");
        }
        long duration = request.leaseDurationMillis() > 0 ? request.leaseDurationMillis() : defaultDurationMillis;
        return new LeaseClaims(nextId.incrementAndGet(), "anonymous", node, request.shape().cores(), request.shape().memoryMiB(),
                nowEpochMillis + duration);
    }
}
