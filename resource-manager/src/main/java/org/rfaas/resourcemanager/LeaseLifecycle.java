package org.rfaas.resourcemanager;

import java.util.ArrayList;
import java.util.List;
import org.rfaas.rmclient.ClusterEvent;
import org.rfaas.rmclient.LeaseBatchGrant;
import org.rfaas.rmclient.LeaseBatchRequest;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.rmclient.LeaseRequest;
import org.rfaas.rmclient.NodeInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lease lifecycle of {@link ClusterState}: grant (one lease, or a batch through
 * {@link LeaseBatches}), renew and release. Each operation that answers over the lease endpoint
 * comes in two halves: the change in memory ({@link #placeLease}, {@link #endLease}) and the answer
 * once that change is durable ({@link #grantPlaced}, {@link #released}).
 */
final class LeaseLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterState.class);

    private final ClusterState cluster;

    LeaseLifecycle(ClusterState cluster) {
        this.cluster = cluster;
    }


    /** Places and records a lease, or refuses with the reason when no node has the capacity. */
    LeaseGrant requestLease(LeaseRequest req, long now) {
        long start = System.nanoTime();
        return grantPlaced(cluster.awaitDurable(placeLease(req, now)), start);
    }

    /** A lease placed in memory by {@link #placeLease}; {@code again}: an earlier grant of the same request id. */
    record Placed(LiveState.Lease lease, LiveState.Node node, boolean again, String requestId) {
    }

    /**
     * The memory half of {@link #requestLease}: places the lease (or finds the earlier grant of its
     * request id); {@link #grantPlaced} makes the answer once the change is durable.
     */
    ClusterState.Deferred<Placed> placeLease(LeaseRequest req, long now) {
        long duration = cluster.leaseDuration(req.durationMillis());
        PlacementPolicy policy = req.placement() == null ? cluster.placement() : PlacementPolicy.named(req.placement());
        long[] replayAfter = {0};
        ClusterState.Deferred<Placed> d = cluster.changeDeferred(now, c -> {
            LiveState.Lease earlier = cluster.live.earlierGrant(req);
            if (earlier != null) {
                replayAfter[0] = cluster.log().appended(); // its grant may still be on its way to the disk
                return new Placed(earlier, earlier.node, true, req.requestId());
            }
            cluster.live.tenants.checkQuota(req.tenant(), 1, req.cores(), req.memoryMiB());
            LiveState.Node n = cluster.live.index.choose(policy, req.cores(), req.memoryMiB());
            if (n == null && cluster.expireDue(c, now) > 0) {
                n = cluster.live.index.choose(policy, req.cores(), req.memoryMiB());
            }
            if (n == null) {
                List<NodeInfo> all = new ArrayList<>();
                cluster.live.nodes.values().forEach(x -> all.add(x.info()));
                cluster.observer().leaseRefused(RefusalReason.of(req, all));
                throw ApiException.noCapacity(RefusalReason.message(req, all));
            }
            LiveState.Lease l = grantLocked(c, n, req.tenant(), req.cores(), req.memoryMiB(), now, now + duration,
                    req.requestId());
            return new Placed(l, n, false, req.requestId());
        });
        // an earlier grant is answered as the first time: only once everything before it is durable
        return replayAfter[0] > d.seq() ? new ClusterState.Deferred<>(replayAfter[0], d.result(), d.refused()) : d;
    }

    /** The answer to a placed lease, once durable: its signed grant. */
    LeaseGrant grantPlaced(Placed p, long startNanos) {
        LeaseGrant granted = cluster.grant(p.lease(), p.node());
        if (p.again()) {
            LOG.debug("lease {} answered again for request id {}", p.lease().id, p.requestId());
        } else {
            cluster.observer().leaseGranted(granted, System.nanoTime() - startNanos);
        }
        return granted;
    }

    /** Places and records a batch of leases ({@link LeaseBatches}). */
    LeaseBatchGrant requestLeases(LeaseBatchRequest req, long now) {
        return LeaseBatches.place(cluster, req, cluster.placement(), cluster.leaseDuration(req.durationMillis()), now);
    }

    /** Takes capacity on {@code n} for a new lease and logs it (lock held). */
    LiveState.Lease grantLocked(Change c, LiveState.Node n, String tenant, int cores, long memoryMiB, long now, long expires,
            String requestId) {
        LiveState.Lease l = new LiveState.Lease(cluster.live.nextLeaseId++, tenant, n, cores, memoryMiB, now, expires, requestId);
        cluster.live.take(l);
        c.write(ClusterState.INSERT_LEASE, l.id, tenant, n.name, cores, memoryMiB, now, expires, l.requestId);
        c.events.add(ClusterEvent.lease(ClusterEvent.LEASE_GRANTED, now, n.name, l.id, tenant, ""));
        return l;
    }

    /** Extends an active lease to {@code now + duration} and signs a new token. */
    LeaseGrant renewLease(long id, long durationMillis, long now) {
        long duration = cluster.leaseDuration(durationMillis);
        LiveState.Lease[] renewed = new LiveState.Lease[1];
        LiveState.Node[] where = new LiveState.Node[1];
        long[] expires = new long[1];
        boolean[] expired = new boolean[1];
        cluster.change(now, c -> {
            LiveState.Lease l = cluster.live.leases.get(id);
            if (l != null && l.expiresAt <= now) {
                c.endLease(l, ClusterState.EXPIRED, "lease expired", now);
                expired[0] = true;
                l = null;
            }
            if (l != null) {
                expires[0] = Math.max(l.expiresAt, now + duration);
                cluster.live.renew(l, expires[0]);
                c.write("UPDATE rm_leases SET expires_at = ? WHERE id = ?", expires[0], id);
                renewed[0] = l;
                where[0] = l.node;
            }
            return null;
        });
        if (expired[0]) {
            cluster.observer().leasesEnded(ClusterState.EXPIRED, null, 1, "lease expired");
        }
        if (renewed[0] == null) {
            LeaseInfo lease = cluster.storedLease(id);
            throw ApiException.leaseEnded("lease " + id + " cannot be renewed: it is " + lease.state() + " ("
                    + lease.endReason() + ")");
        }
        LOG.debug("lease {} renewed until {}", id, expires[0]);
        LiveState.Lease l = renewed[0];
        return cluster.signed(l.id, l.tenant, where[0], l.cores, l.memoryMiB, expires[0]);
    }

    /** Ends a lease at its holder's request; releasing an ended lease changes nothing. */
    LeaseInfo releaseLease(long id, String reason, long now) {
        LiveState.Lease l = cluster.awaitDurable(endLease(id, reason, now));
        return l == null ? cluster.storedLease(id) : released(l, reason, now);
    }

    /**
     * The memory half of {@link #releaseLease}: ends the lease if it is active; answers it, or null
     * when it had already ended (or never existed: then {@link ClusterState#storedLease} says which).
     */
    ClusterState.Deferred<LiveState.Lease> endLease(long id, String reason, long now) {
        return cluster.changeDeferred(now, c -> {
            LiveState.Lease l = cluster.live.leases.get(id);
            if (l != null) {
                c.endLease(l, ClusterState.RELEASED, reason, now);
            }
            return l;
        });
    }

    /** The answer to a released lease, once durable. */
    LeaseInfo released(LiveState.Lease l, String reason, long now) {
        cluster.observer().leasesEnded(ClusterState.RELEASED, l.node.name, 1, reason);
        LOG.debug("lease {} released: {}", l.id, reason);
        return new LeaseInfo(l.id, l.tenant, l.node.name, l.cores, l.memoryMiB, ClusterState.RELEASED, l.createdAt, l.expiresAt, now,
                reason);
    }

    /** Ends many leases in one change (one commit); ended or unknown ones are answered as stored (404 if unknown). */
    List<LeaseInfo> releaseLeases(List<Long> ids, String reason, long now) {
        LeaseInfo[] out = new LeaseInfo[ids.size()];
        cluster.change(now, c -> {
            for (int i = 0; i < out.length; i++) {
                LiveState.Lease l = cluster.live.leases.get(ids.get(i));
                if (l != null) {
                    c.endLease(l, ClusterState.RELEASED, reason, now);
                    out[i] = new LeaseInfo(l.id, l.tenant, l.node.name, l.cores, l.memoryMiB, ClusterState.RELEASED, l.createdAt,
                            l.expiresAt, now, reason);
                }
            }
            return null;
        });
        int released = 0;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == null) {
                out[i] = cluster.storedLease(ids.get(i));
            } else {
                released++;
                cluster.observer().leasesEnded(ClusterState.RELEASED, out[i].node(), 1, reason);
            }
        }
        LOG.debug("{} of {} lease(s) released: {}", released, ids.size(), reason);
        return List.of(out);
    }
}
