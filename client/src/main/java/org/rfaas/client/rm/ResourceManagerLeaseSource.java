package org.rfaas.client.rm;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.rfaas.client.AllocationRefusedException;
import org.rfaas.client.LeaseOffer;
import org.rfaas.client.LeaseRevokedException;
import org.rfaas.client.LeaseSource;
import org.rfaas.protocol.rm.LeaseGrant;
import org.rfaas.protocol.rm.LeaseRefusedException;
import org.rfaas.protocol.rm.ResourceManagerClient;
import org.rfaas.protocol.rm.ResourceManagerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leases from the resource manager: it places the lease and signs the token that the node's
 * executor manager verifies. Use with {@code RfaasClient.builder().leaseSource(new
 * ResourceManagerLeaseSource(uri, "alice"))}.
 */
public final class ResourceManagerLeaseSource implements LeaseSource {
    private static final Logger LOG = LoggerFactory.getLogger(ResourceManagerLeaseSource.class);
    private final ResourceManagerClient rm;
    private final String tenant;
    private final Map<Long, LeaseGrant> grants = new ConcurrentHashMap<>();

    /**
     * @param resourceManager base URL, e.g. {@code http://127.0.0.1:8090}
     * @param tenant who is billed for the leases
     */
    public ResourceManagerLeaseSource(URI resourceManager, String tenant) {
        this.rm = ResourceManagerClient.forClients(resourceManager);
        this.tenant = tenant;
    }

    @Override
    public LeaseOffer acquire(int cores, long memoryMiB, Duration duration) {
        LeaseGrant g;
        try {
            g = rm.requestLease(cores, memoryMiB, duration.toMillis(), tenant);
        } catch (LeaseRefusedException e) {
            throw new AllocationRefusedException("resource manager refused the lease: " + e.getMessage(), e);
        } catch (ResourceManagerException e) {
            throw new AllocationRefusedException("resource manager at " + rm.baseUri() + " failed: " + e.getMessage(), e);
        }
        grants.put(g.leaseId(), g);
        String address = g.nodePort() == 0 ? g.nodeAddress() : g.nodeAddress() + ":" + g.nodePort();
        return new LeaseOffer(g.node(), address, g.leaseId(), g.token(), g.expiresAtEpochMillis());
    }

    @Override
    public void release(LeaseOffer lease) {
        LeaseGrant g = grants.remove(lease.leaseId());
        if (g != null) {
            try {
                rm.releaseLease(g);
            } catch (ResourceManagerException e) {
                // not fatal: the executor manager's billing report ends the lease at the resource manager too
                LOG.warn("releasing lease {} at the resource manager failed ({}); it ends when the executor manager"
                        + " reports its accounting", g.leaseId(), e.getMessage());
            }
        }
    }

    /**
     * Checks with the resource manager that a lease is still active.
     *
     * @throws LeaseRevokedException when it was revoked (drain, removal, node down) or has ended
     */
    public void checkActive(long leaseId) {
        LeaseGrant g = grants.get(leaseId);
        if (g == null) {
            throw new LeaseRevokedException("lease " + leaseId + " is not held through this lease source");
        }
        try {
            rm.checkActive(g);
        } catch (org.rfaas.protocol.rm.LeaseRevokedException e) {
            throw new LeaseRevokedException(e.getMessage(), e);
        }
    }

    /** Renews a held lease; the executor manager keeps enforcing the expiry it was allocated with. */
    public void renew(long leaseId, Duration duration) {
        LeaseGrant g = grants.get(leaseId);
        if (g == null) {
            throw new LeaseRevokedException("lease " + leaseId + " is not held through this lease source");
        }
        try {
            grants.put(leaseId, rm.renewLease(g, duration.toMillis()));
        } catch (org.rfaas.protocol.rm.LeaseRevokedException e) {
            throw new LeaseRevokedException(e.getMessage(), e);
        }
    }
}
