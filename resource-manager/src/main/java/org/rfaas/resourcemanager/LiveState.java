package org.rfaas.resourcemanager;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.rfaas.rmclient.EndedLease;
import org.rfaas.rmclient.LeaseBatchRequest;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.rmclient.LeaseRequest;
import org.rfaas.rmclient.NodeInfo;

/**
 * The cluster as the resource manager serves it: nodes with their capacity and use, active leases,
 * the leases that ended recently (heartbeat answers list them), removed node names. It is the
 * authority while the process runs; the database is its durable log ({@link DurableLog}) and is
 * read back into it at start ({@link StateLoader}). Not thread-safe: {@link ClusterState} guards it
 * with one lock held for microseconds per change.
 */
final class LiveState {
    /** Heartbeat answers list at most this many ended leases per node (the newest), whatever the retention. */
    static final int MAX_ENDED_PER_NODE = 4096;

    /** A node's record, capacity and what its active leases hold. */
    static final class Node {
        final String name;
        String address;
        int port;
        String transport;
        int cores;
        long memoryMiB;
        String state;
        long lastHeartbeat;
        int usedCores;
        long usedMemoryMiB;
        int activeLeases;
        /** Taken out of placement for the rest of a batch (it reached the batch's per-node limit). */
        boolean hidden;
        /** In the {@link PlacementIndex}; its position in name order there. */
        boolean indexed;
        int position = -1;
        /** Its active leases, by id. */
        final TreeMap<Long, Lease> leases = new TreeMap<>();
        final ArrayDeque<EndedLease> ended = new ArrayDeque<>();
        final ArrayDeque<Long> endedAt = new ArrayDeque<>();

        Node(String name) {
            this.name = name;
        }

        /** A node-shaped search key of the index: {@code cores} and {@code memoryMiB} free, the first name. */
        static Node probe(int cores, long memoryMiB) {
            Node n = new Node("");
            n.cores = cores;
            n.memoryMiB = memoryMiB;
            return n;
        }

        int freeCores() {
            return cores - usedCores;
        }

        long freeMemoryMiB() {
            return memoryMiB - usedMemoryMiB;
        }

        boolean placeable() {
            return ClusterState.UP.equals(state) && !hidden;
        }

        NodeInfo info() {
            return new NodeInfo(name, address, port, transport, cores, memoryMiB, state, freeCores(), freeMemoryMiB(),
                    activeLeases, lastHeartbeat);
        }

        /** Remembers an ended lease for heartbeat answers; forgets those past {@code retentionMillis}. */
        void ended(EndedLease e, long now, long retentionMillis) {
            ended.addLast(e);
            endedAt.addLast(now);
            prune(now, retentionMillis);
        }

        void prune(long now, long retentionMillis) {
            while (!endedAt.isEmpty() && (endedAt.peekFirst() < now - retentionMillis || ended.size() > MAX_ENDED_PER_NODE)) {
                endedAt.removeFirst();
                ended.removeFirst();
            }
        }
    }

    /** An active lease; {@code expiresAt} changes on renewal (take it out of {@link #byExpiry} first). */
    static final class Lease {
        final long id;
        final String tenant;
        final Node node;
        final int cores;
        final long memoryMiB;
        final long createdAt;
        /** The client's id of the request that got it ({@link LeaseRequest#requestId()}), "" when none. */
        final String requestId;
        long expiresAt;

        Lease(long id, String tenant, Node node, int cores, long memoryMiB, long createdAt, long expiresAt) {
            this(id, tenant, node, cores, memoryMiB, createdAt, expiresAt, "");
        }

        Lease(long id, String tenant, Node node, int cores, long memoryMiB, long createdAt, long expiresAt, String requestId) {
            this.id = id;
            this.requestId = requestId == null ? "" : requestId;
            this.tenant = tenant;
            this.node = node;
            this.cores = cores;
            this.memoryMiB = memoryMiB;
            this.createdAt = createdAt;
            this.expiresAt = expiresAt;
        }

        LeaseInfo info() {
            return new LeaseInfo(id, tenant, node.name, cores, memoryMiB, ClusterState.ACTIVE, createdAt, expiresAt, 0, "");
        }
    }

    /** Name order: first-fit and listings follow it. */
    final TreeMap<String, Node> nodes = new TreeMap<>();
    final Map<Long, Lease> leases = new HashMap<>();
    /** Active leases that came with a request id, by {@link #requestKey}. */
    final Map<String, Lease> byRequest = new HashMap<>();
    /** Active leases by expiry, so the sweeper finds the due ones without scanning. */
    final TreeSet<Lease> byExpiry = new TreeSet<>(Comparator.<Lease>comparingLong(l -> l.expiresAt).thenComparingLong(l -> l.id));
    final Set<String> removedNodes = new HashSet<>();
    final PlacementIndex index = new PlacementIndex(nodes);
    /** Tenants, their keys' hashes, quotas and what their active leases hold. */
    final Tenants tenants = new Tenants();
    long nextLeaseId = 1;

    /** Adds a lease on its node and takes the capacity. */
    void take(Lease l) {
        Node n = l.node;
        index.remove(n);
        n.usedCores += l.cores;
        n.usedMemoryMiB += l.memoryMiB;
        n.activeLeases++;
        n.leases.put(l.id, l);
        index.add(n);
        leases.put(l.id, l);
        byExpiry.add(l);
        if (!l.requestId.isEmpty()) {
            byRequest.put(requestKey(l.tenant, l.requestId), l);
        }
        tenants.used(l.tenant, l.cores, l.memoryMiB, 1);
    }

    /** Forgets an active lease, gives its capacity back and remembers it as ended for heartbeat answers. */
    void end(Lease l, String state, String reason, long now, long retentionMillis) {
        untake(l);
        l.node.ended(new EndedLease(l.id, state, reason), now, retentionMillis);
    }

    /**
     * Forgets an active lease and gives its capacity back: the first half of {@link #end}, and
     * alone the undoing of a {@link #take} never acknowledged (a refused all-or-nothing batch).
     */
    void untake(Lease l) {
        leases.remove(l.id);
        byExpiry.remove(l);
        if (!l.requestId.isEmpty()) {
            byRequest.remove(requestKey(l.tenant, l.requestId), l);
        }
        Node n = l.node;
        index.remove(n);
        n.usedCores -= l.cores;
        n.usedMemoryMiB -= l.memoryMiB;
        n.activeLeases--;
        n.leases.remove(l.id);
        index.add(n);
        tenants.used(l.tenant, l.cores, l.memoryMiB, -1);
    }

    /**
     * The active lease an earlier request with {@code req}'s request id got, or null; a different
     * request under the same id is refused (409).
     */
    Lease earlierGrant(LeaseRequest req) {
        if (req.requestId() == null) {
            return null;
        }
        Lease earlier = byRequest.get(requestKey(req.tenant(), req.requestId()));
        if (earlier != null && (earlier.cores != req.cores() || earlier.memoryMiB != req.memoryMiB())) {
            throw ApiException.conflict("request id " + req.requestId() + " already got lease " + earlier.id + " of "
                    + earlier.cores + " cores and " + earlier.memoryMiB + " MiB");
        }
        return earlier;
    }

    /**
     * The active leases an earlier batch with {@code req}'s request id got, in batch order (those
     * released since are missing), or null when it got none; a different batch under the same id
     * (other lease size, or more leases than this one asks for) is refused (409).
     */
    List<Lease> earlierBatch(LeaseBatchRequest req) {
        if (req.requestId() == null) {
            return null;
        }
        List<Lease> earlier = new ArrayList<>();
        for (int i = 0; i < req.count(); i++) {
            Lease l = byRequest.get(requestKey(req.tenant(), req.leaseRequestId(i)));
            if (l == null) {
                continue;
            }
            if (l.cores != req.cores() || l.memoryMiB != req.memoryMiB()) {
                throw ApiException.conflict("batch request id " + req.requestId() + " already got leases of " + l.cores
                        + " cores and " + l.memoryMiB + " MiB");
            }
            earlier.add(l);
        }
        if (byRequest.containsKey(requestKey(req.tenant(), req.leaseRequestId(req.count())))) {
            throw ApiException.conflict("batch request id " + req.requestId() + " already got more than " + req.count()
                    + " leases");
        }
        return earlier.isEmpty() ? null : earlier;
    }

    /** Request ids are the tenant's own: two tenants may use the same. */
    static String requestKey(String tenant, String requestId) {
        return tenant + '\n' + requestId;
    }

    /** Moves a lease's expiry. */
    void renew(Lease l, long expiresAt) {
        byExpiry.remove(l);
        l.expiresAt = expiresAt;
        byExpiry.add(l);
    }

    /** Changes a node's state (UP, DRAINING, DOWN), keeping the index right. */
    void setState(Node n, String state) {
        index.remove(n);
        n.state = state;
        index.add(n);
    }

    /** Adds a node, or updates a known one's record and capacity. */
    Node putNode(String name, String address, int port, String transport, int cores, long memoryMiB, String state) {
        Node n = nodes.get(name);
        if (n == null) {
            n = new Node(name);
            nodes.put(name, n);
            index.membershipChanged();
        }
        index.remove(n);
        n.address = address;
        n.port = port;
        n.transport = transport;
        n.cores = cores;
        n.memoryMiB = memoryMiB;
        n.state = state;
        index.add(n);
        return n;
    }

    void removeNode(Node n) {
        index.remove(n);
        nodes.remove(n.name);
        index.membershipChanged();
    }

    /** Takes a node out of placement until {@link #unhide} (a batch's per-node limit). */
    void hide(Node n) {
        index.remove(n);
        n.hidden = true;
    }

    void unhide(Node n) {
        n.hidden = false;
        index.add(n);
    }
}
