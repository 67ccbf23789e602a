package org.rfaas.executormanager.rm;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.rfaas.executormanager.ExecutorManager;
import org.rfaas.executormanager.LeaseListener;
import org.rfaas.executormanager.LeaseRecord;
import org.rfaas.executormanager.ResourceManagerLinkConfig;
import org.rfaas.protocol.LeaseAccounting;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.rmclient.ActiveLease;
import org.rfaas.rmclient.ApiError;
import org.rfaas.rmclient.BillingReport;
import org.rfaas.rmclient.EndedLease;
import org.rfaas.rmclient.HeartbeatResponse;
import org.rfaas.rmclient.NodeRegistration;
import org.rfaas.rmclient.ResourceManagerClient;
import org.rfaas.rmclient.ResourceManagerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connects an executor manager to the resource manager: registers the node, heartbeats, stops the
 * executors of leases the resource manager ended (revoked by a drain, removal or missed heartbeats;
 * expired; released), extends the manager's expiry of leases renewed at the resource manager, and
 * forwards each lease's final accounting as billing. Lease tokens are
 * verified by the manager's {@link org.rfaas.executormanager.TokenLeaseAuthority} with the same
 * cluster secret, which also derives this node's credential.
 *
 * <p>All HTTP happens on one daemon thread of its own; the manager's threads only enqueue. A
 * resource manager that is down delays heartbeats and billing (retried every period, billing kept
 * in memory until delivered) but never blocks the manager.
 *
 * <p>Configured by the {@code resourceManager} object of the executor-manager config:
 * <pre>{@code
 * "clusterSecret": "...",
 * "resourceManager": {"url": "http://rm:8090", "heartbeatMillis": 2000}
 * }</pre>
 * ({@link ResourceManagerLinkConfig}); {@code "url": "http://rm1:8090,rm2:8090"} names a leader and its
 * standbys, and the link's requests fail over between them ({@link ResourceManagerClient}). The node is registered at the manager's first advertised
 * non-shm address ({@link ExecutorManager#advertisedAddresses()}).
 */
public final class ResourceManagerLink implements LeaseListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ResourceManagerLink.class);

    private record Bill(long leaseId, BillingReport report, int attempts) {
    }

    private final ExecutorManager manager;
    private final ResourceManagerLinkConfig settings;
    private final ResourceManagerClient rm;
    private final String node;
    private final ScheduledExecutorService worker;
    private final ConcurrentLinkedQueue<Bill> bills = new ConcurrentLinkedQueue<>();
    /** Ended leases already stopped here; only the link thread touches it. */
    private final java.util.Set<Long> stopped = new java.util.HashSet<>();
    private volatile boolean registered;
    private volatile boolean removed;
    private volatile boolean reachable = true;

    private ResourceManagerLink(ExecutorManager manager, ResourceManagerLinkConfig settings) {
        String secret = manager.config().clusterSecret();
        if (secret == null) {
            throw new IllegalArgumentException("the executor-manager config has a resourceManager but no clusterSecret;"
                    + " lease tokens cannot be verified without it");
        }
        this.manager = manager;
        this.settings = settings;
        this.node = manager.config().node();
        this.rm = new ResourceManagerClient(settings.urls(), null, secret, Duration.ofSeconds(5));
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rfaas-rm-link-" + node);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Attaches a link to a started manager: registers now (so a client can get a lease on this node
     * as soon as this returns, unless the resource manager is unreachable, in which case
     * registration is retried every heartbeat period), then heartbeats in the background.
     */
    public static ResourceManagerLink attach(ExecutorManager manager, ResourceManagerLinkConfig settings) {
        ResourceManagerLink link = new ResourceManagerLink(manager, settings);
        manager.addLeaseListener(link);
        try {
            link.worker.submit(link::tick).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("first contact with the resource manager at {} did not complete: {}", settings.urls(), e.toString());
        }
        link.worker.scheduleWithFixedDelay(link::tick, settings.heartbeatMillis(), settings.heartbeatMillis(),
                TimeUnit.MILLISECONDS);
        return link;
    }

    /** Whether the node is registered with the resource manager. */
    public boolean registered() {
        return registered;
    }

    /** Billing reports not yet delivered. */
    public int pendingBills() {
        return bills.size();
    }

    @Override
    public void leaseEnded(LeaseRecord lease, LeaseEndReason reason, LeaseAccounting a) {
        double memoryMiBSeconds = lease.claims().memoryMiB() * (a.allocationNanos() / 1e9);
        bills.add(new Bill(lease.leaseId(), new BillingReport(a.allocationNanos(), a.computeNanos(), a.hotPollNanos(),
                memoryMiBSeconds), 0));
        try {
            worker.execute(this::deliverBills);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.warn("lease {} ended after the resource-manager link closed; its billing is not delivered", lease.leaseId());
        }
    }

    /** One duty cycle: register if needed, heartbeat, stop ended leases, deliver billing. */
    private void tick() {
        if (removed) {
            return;
        }
        try {
            if (!registered) {
                register();
            }
            HeartbeatResponse hb = rm.heartbeat(node, manager.activity());
            if (!reachable) {
                LOG.info("resource manager at {} is reachable again", settings.urls());
                reachable = true;
            }
            // the answer keeps listing ended leases for a while (lost replies are harmless): act once
            stopped.retainAll(hb.endedLeases().stream().map(EndedLease::leaseId).toList());
            for (EndedLease e : hb.endedLeases()) {
                if (stopped.add(e.leaseId()) && manager.revoke(e.leaseId())) {
                    LOG.info("lease {} {} at the resource manager ({}); its executor is stopped", e.leaseId(),
                            e.state().toLowerCase(java.util.Locale.ROOT), e.reason());
                }
            }
            for (ActiveLease a : hb.activeLeases()) {
                manager.extend(a.leaseId(), a.expiresAtEpochMillis()); // no-op unless renewed
            }
            deliverBills();
        } catch (ResourceManagerException e) {
            if (e.status() == 410 && ApiError.NODE_REMOVED.equals(e.code())) {
                removed = true;
                LOG.warn("{}; revoking every lease on this node and stopping the link (restart the executor manager to"
                        + " rejoin)", e.getMessage());
                manager.revokeAll();
            } else if (e.status() == 404) {
                LOG.warn("the resource manager does not know node {}: registering again", node);
                registered = false;
            } else if (e.status() == 0) {
                if (reachable) {
                    LOG.warn("resource manager unreachable, retrying every {} ms: {}", settings.heartbeatMillis(), e.getMessage());
                }
                reachable = false;
            } else {
                LOG.error("resource manager refused node {}: HTTP {} {}: {}", node, e.status(), e.code(), e.getMessage());
            }
        } catch (RuntimeException e) {
            LOG.error("resource-manager link of node {} failed; retrying", node, e);
        }
    }

    private void register() {
        List<String> addresses = manager.advertisedAddresses();
        String advertise = addresses.stream().filter(a -> !a.startsWith("shm")).findFirst()
                .orElse(addresses.isEmpty() ? null : addresses.getFirst());
        if (advertise == null) {
            throw new IllegalStateException("the executor manager has no listen address to register");
        }
        int colon = advertise.indexOf(':');
        String transport = colon > 0 ? advertise.substring(0, colon) : "tcp";
        rm.registerNode(new NodeRegistration(node, advertise, 0, transport, manager.config().cores(),
                manager.config().memoryMiB()));
        registered = true;
        LOG.info("node {} registered with the resource manager at {} as {} ({} cores, {} MiB)", node, settings.urls(),
                advertise, manager.config().cores(), manager.config().memoryMiB());
    }

    /** Delivers queued billing; transient failures leave the rest queued for the next period. */
    private void deliverBills() {
        for (Bill b; (b = bills.peek()) != null; ) {
            try {
                rm.reportBilling(node, b.leaseId(), b.report());
                LOG.debug("lease {} billed", b.leaseId());
            } catch (ResourceManagerException e) {
                if (e.status() == 0 || e.status() >= 500) {
                    return;
                }
                // 404 (lease unknown), 409 (already billed), 400: retrying cannot help
                LOG.warn("billing of lease {} refused by the resource manager: HTTP {} {}: {}", b.leaseId(), e.status(),
                        e.code(), e.getMessage());
            }
            bills.poll();
        }
    }

    /** Delivers what billing it can (for up to 5 s), then stops the link. */
    @Override
    public void close() {
        try {
            worker.submit(this::deliverBills).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("closing the resource-manager link: {} billing report(s) not delivered: {}", bills.size(), e.toString());
        }
        worker.shutdownNow();
        rm.close();
    }
}
