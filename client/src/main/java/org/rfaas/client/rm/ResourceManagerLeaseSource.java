package org.rfaas.client.rm;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.rfaas.client.AllocationRefusedException;
import org.rfaas.client.LeaseEventListener;
import org.rfaas.client.LeaseOffer;
import org.rfaas.client.LeaseRevokedException;
import org.rfaas.client.LeaseSource;
import org.rfaas.rmclient.ClusterEvent;
import org.rfaas.rmclient.ClusterEventStream;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.rmclient.LeaseRefusedException;
import org.rfaas.rmclient.LeaseRequest;
import org.rfaas.rmclient.ResourceManagerClient;
import org.rfaas.rmclient.ResourceManagerException;
import org.rfaas.rmclient.rpc.LeaseRpcClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leases from the resource manager: it places the lease and signs the token that the node's
 * executor manager verifies. Use with {@code RfaasClient.builder().leaseSource(new
 * ResourceManagerLeaseSource(uri, "alice", aliceApiKey))}.
 *
 * <p>While a listener is registered ({@link #subscribe}), the source follows the resource
 * manager's event stream ({@code GET /v1/events}) from its first lease on, authenticated with a
 * lease token, and tells listeners about revocations of the leases it holds and about freed
 * capacity. After a reconnection it asks the resource manager about each held lease, so a
 * revocation missed while the stream was down is still reported.
 */
public final class ResourceManagerLeaseSource implements LeaseSource {
    private static final Logger LOG = LoggerFactory.getLogger(ResourceManagerLeaseSource.class);
    private final ResourceManagerClient rm;
    private final String tenant;
    private final Map<Long, LeaseGrant> grants = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<LeaseEventListener> listeners = new CopyOnWriteArrayList<>();
    private final URI uri;
    /** Grants and releases over the binary lease endpoint, or null for HTTP. */
    private final LeaseRpcClient fast;
    private ClusterEventStream stream;

    /**
     * @param resourceManager base URL, e.g. {@code http://127.0.0.1:8090}
     * @param tenant who is billed for the leases
     * @param apiKey the tenant's API key ({@code rfaas tenants add} prints it)
     */
    public ResourceManagerLeaseSource(URI resourceManager, String tenant, String apiKey) {
        this(resourceManager, tenant, apiKey, null);
    }

    /**
     * As {@link #ResourceManagerLeaseSource(URI, String, String)}, with grants and releases over the
     * resource manager's binary lease endpoint ({@code rfaas-lease://host:port}, one round trip on a
     * kept-open connection; the resource manager prints it when {@code leasePort} is configured);
     * renewals, checks and events stay on HTTP.
     */
    public ResourceManagerLeaseSource(URI resourceManager, String tenant, String apiKey, String leaseEndpoint) {
        this.uri = resourceManager;
        this.rm = ResourceManagerClient.forTenant(resourceManager, apiKey);
        this.tenant = tenant;
        this.fast = leaseEndpoint == null ? null : LeaseRpcClient.of(leaseEndpoint, apiKey, tenant);
    }

    @Override
    public LeaseOffer acquire(int cores, long memoryMiB, Duration duration) {
        LeaseGrant g;
        try {
            g = fast != null ? fast.requestLease(new LeaseRequest(cores, memoryMiB, duration.toMillis(), tenant))
                    : rm.requestLease(cores, memoryMiB, duration.toMillis(), tenant);
        } catch (LeaseRefusedException e) {
            throw new AllocationRefusedException("resource manager refused the lease: " + e.getMessage(), e);
        } catch (ResourceManagerException e) {
            throw new AllocationRefusedException("resource manager at " + rm.baseUri() + " failed: " + e.getMessage(), e);
        }
        grants.put(g.leaseId(), g);
        startStream(g.token());
        String address = g.nodePort() == 0 ? g.nodeAddress() : g.nodeAddress() + ":" + g.nodePort();
        return new LeaseOffer(g.node(), address, g.leaseId(), g.token(), g.expiresAtEpochMillis());
    }

    @Override
    public void release(LeaseOffer lease) {
        LeaseGrant g = grants.remove(lease.leaseId());
        if (g != null) {
            try {
                if (fast != null) {
                    fast.releaseLease(g);
                } else {
                    rm.releaseLease(g);
                }
            } catch (ResourceManagerException e) {
                // not fatal: the executor manager's billing report ends the lease at the resource manager too
                LOG.warn("releasing lease {} at the resource manager failed ({}); it ends when the executor manager"
                        + " reports its accounting", g.leaseId(), e.getMessage());
            }
        }
    }

    @Override
    public LeaseEventListener.Registration subscribe(LeaseEventListener listener) {
        listeners.add(listener);
        grants.values().stream().findAny().ifPresent(g -> startStream(g.token()));
        return () -> {
            listeners.remove(listener);
            if (listeners.isEmpty()) {
                stopStream();
            }
        };
    }

    /** True while the event stream is connected (for tests and status output). */
    public synchronized boolean eventsConnected() {
        return stream != null && stream.connected();
    }

    private synchronized void startStream(String token) {
        if (stream == null && !listeners.isEmpty()) {
            stream = new ClusterEventStream(uri, token, this::onEvent, this::recheckHeld);
        }
    }

    private synchronized void stopStream() {
        if (stream != null) {
            stream.close();
            stream = null;
        }
    }

    private void onEvent(ClusterEvent e) {
        if (ClusterEvent.LEASE_REVOKED.equals(e.type())) {
            if (grants.remove(e.leaseId()) != null) {
                listeners.forEach(l -> l.leaseRevoked(e.leaseId(), e.node(), e.reason()));
            }
        } else if (ClusterEvent.CAPACITY_FREED.equals(e.type())) {
            listeners.forEach(l -> l.capacityFreed(e.node(), e.freeCores(), e.freeMemoryMiB()));
        }
    }

    /** After a (re)connection: reports held leases that were revoked while the stream was down. */
    private void recheckHeld() {
        for (LeaseGrant g : grants.values()) {
            try {
                LeaseInfo info = rm.lease(g.leaseId(), g.token());
                if ("REVOKED".equals(info.state()) && grants.remove(g.leaseId()) != null) {
                    listeners.forEach(l -> l.leaseRevoked(g.leaseId(), g.node(), info.endReason()));
                }
            } catch (ResourceManagerException e) {
                LOG.debug("checking lease {} after reconnecting: {}", g.leaseId(), e.getMessage());
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
        } catch (org.rfaas.rmclient.LeaseRevokedException e) {
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
        } catch (org.rfaas.rmclient.LeaseRevokedException e) {
            throw new LeaseRevokedException(e.getMessage(), e);
        }
    }
}
