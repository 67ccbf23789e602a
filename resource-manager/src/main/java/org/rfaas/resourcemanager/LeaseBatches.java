package org.rfaas.resourcemanager;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rfaas.rmclient.ClusterEvent;
import org.rfaas.rmclient.LeaseBatchGrant;
import org.rfaas.rmclient.LeaseBatchRequest;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.LeaseRequest;
import org.rfaas.rmclient.NodeInfo;

/**
 * Batches of leases in one request: placed one by one from the index under one hold of the state
 * lock (so the batch is atomic towards other grants), recorded in one log entry (one commit), then
 * signed outside the lock. A node that reached the batch's per-node limit is hidden from the index
 * for the rest of the batch. An all-or-nothing batch that does not fit whole is undone in memory
 * before anything is written. A batch with a request id records it with each lease ({@code id#i}),
 * and the same id again is answered with the leases it got (see {@link LiveState#earlierBatch}).
 */
final class LeaseBatches {
    private LeaseBatches() {
    }

    static LeaseBatchGrant place(ClusterState state, LeaseBatchRequest req, PlacementPolicy configured, long duration, long now) {
        long start = System.nanoTime();
        PlacementPolicy policy = req.placement() == null ? configured : PlacementPolicy.named(req.placement());
        List<LiveState.Lease> placed = new ArrayList<>(req.count());
        long[] replayAfter = {-1};
        state.change(now, c -> {
            LiveState live = state.live;
            List<LiveState.Lease> earlier = live.earlierBatch(req);
            if (earlier != null) {
                placed.addAll(earlier);
                replayAfter[0] = state.log().appended(); // its grants may still be on their way to the disk
                return null;
            }
            // the whole batch within the tenant's quota (best-effort too: a quota is not a capacity)
            live.tenants.checkQuota(req.tenant(), req.count(), req.cores(), req.memoryMiB());
            Map<LiveState.Node, Integer> perNode = req.maxPerNode() > 0 ? new HashMap<>() : null;
            List<LiveState.Node> hidden = new ArrayList<>();
            boolean expired = false;
            long firstId = live.nextLeaseId;
            try {
                while (placed.size() < req.count()) {
                    LiveState.Node n = live.index.choose(policy, req.cores(), req.memoryMiB());
                    if (n == null && !expired) {
                        expired = true; // expiries are recorded whatever the batch's fate
                        if (state.expireDue(c, now) > 0) {
                            n = live.index.choose(policy, req.cores(), req.memoryMiB());
                        }
                    }
                    if (n == null) {
                        break;
                    }
                    placed.add(state.lifecycle().grantLocked(c, n, req.tenant(), req.cores(), req.memoryMiB(), now, now + duration,
                            req.leaseRequestId(placed.size())));
                    if (perNode != null && perNode.merge(n, 1, Integer::sum) >= req.maxPerNode()) {
                        live.hide(n);
                        hidden.add(n);
                    }
                }
            } finally {
                hidden.forEach(live::unhide);
            }
            if (placed.size() < req.count() && (req.allOrNothing() || placed.isEmpty())) {
                // undo: nothing of the batch was acknowledged, so it leaves no trace (ids are reused)
                for (LiveState.Lease l : placed) {
                    live.untake(l);
                }
                live.nextLeaseId = firstId;
                c.writes.removeIf(w -> ClusterState.INSERT_LEASE.equals(w.sql()));
                c.events.removeIf(e -> ClusterEvent.LEASE_GRANTED.equals(e.type()));
                int fit = placed.size();
                placed.clear();
                LeaseRequest one = new LeaseRequest(req.cores(), req.memoryMiB(), req.durationMillis(), req.tenant());
                List<NodeInfo> all = new ArrayList<>();
                live.nodes.values().forEach(x -> all.add(x.info()));
                state.observer().leaseRefused(RefusalReason.of(one, all));
                throw ApiException.noCapacity("only " + fit + " of " + req.count() + " leases of " + req.cores()
                        + " core(s) and " + req.memoryMiB() + " MiB fit" + (req.maxPerNode() > 0 ? " with at most "
                        + req.maxPerNode() + " per node" : "") + (req.allOrNothing() ? " (all-or-nothing: none granted)" : "")
                        + "; " + RefusalReason.message(one, all));
            }
            return null;
        });
        List<LeaseGrant> grants = new ArrayList<>(placed.size());
        for (LiveState.Lease l : placed) {
            grants.add(state.grant(l, l.node));
        }
        if (replayAfter[0] >= 0) {
            if (replayAfter[0] > 0) { // 0: nothing appended since the start, all of it loaded from the disk
                state.log().await(replayAfter[0]); // answered as the first time: only once durable
            }
            return new LeaseBatchGrant(req.count(), grants);
        }
        long latency = System.nanoTime() - start;
        for (LeaseGrant g : grants) {
            state.observer().leaseGranted(g, latency);
        }
        return new LeaseBatchGrant(req.count(), grants);
    }
}
