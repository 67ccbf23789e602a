package org.rfaas.resourcemanager;

import java.util.Arrays;
import java.util.Comparator;
import java.util.NavigableMap;
import java.util.TreeSet;

/**
 * The nodes that take leases, indexed by free capacity, so a placement costs O(log n) rather than
 * a scan of every node: two ordered sets (most free first, least free first) for
 * {@link PlacementPolicy#LEAST_LOADED}/{@link PlacementPolicy#SPREAD} and {@link PlacementPolicy#PACK},
 * and a segment tree of the largest free cores and memory over the nodes in name order for
 * {@link PlacementPolicy#FIRST_FIT} (descend into the leftmost subtree whose maxima fit).
 *
 * <p>A node's free capacity is part of its position in the sets, so it must be taken out
 * ({@link #remove}) before it changes and put back ({@link #add}) after. The sets are ordered on
 * cores first: when memory is the scarce resource a placement may walk past nodes with cores but
 * too little memory. Not thread-safe: the caller holds the state lock.
 */
final class PlacementIndex {
    private static final Comparator<LiveState.Node> MOST_FREE = Comparator
            .comparingInt(LiveState.Node::freeCores).reversed()
            .thenComparing(Comparator.comparingLong(LiveState.Node::freeMemoryMiB).reversed())
            .thenComparing(n -> n.name);
    private static final Comparator<LiveState.Node> LEAST_FREE = Comparator
            .comparingInt(LiveState.Node::freeCores)
            .thenComparingLong(LiveState.Node::freeMemoryMiB)
            .thenComparing(n -> n.name);

    private final NavigableMap<String, LiveState.Node> nodes;
    private final TreeSet<LiveState.Node> mostFree = new TreeSet<>(MOST_FREE);
    private final TreeSet<LiveState.Node> leastFree = new TreeSet<>(LEAST_FREE);
    /** Segment tree in name order: leaves from {@code leaves}, a leaf is -1 for a node out of the index. */
    private LiveState.Node[] byName = new LiveState.Node[0];
    private int leaves = 1;
    private int[] maxCores = {-1, -1};
    private long[] maxMemory = {-1, -1};
    /** A node was added to or removed from the cluster: name positions changed, rebuild at the next first-fit. */
    private boolean stale = true;

    /** @param nodes every node of the cluster by name (the index reads it when it rebuilds) */
    PlacementIndex(NavigableMap<String, LiveState.Node> nodes) {
        this.nodes = nodes;
    }

    /** The set of nodes changed (added or removed): positions in name order are recomputed lazily. */
    void membershipChanged() {
        stale = true;
    }

    /** Puts a node in the index if it takes leases (up, not hidden); call after its capacity or state changed. */
    void add(LiveState.Node n) {
        if (n.indexed || !n.placeable()) {
            return;
        }
        n.indexed = true;
        mostFree.add(n);
        leastFree.add(n);
        setLeaf(n);
    }

    /** Takes a node out of the index; call before its capacity or state changes. */
    void remove(LiveState.Node n) {
        if (!n.indexed) {
            return;
        }
        n.indexed = false;
        mostFree.remove(n);
        leastFree.remove(n);
        setLeaf(n);
    }

    /** The node {@code policy} picks for {@code cores} and {@code memoryMiB}, or null when none fits. */
    LiveState.Node choose(PlacementPolicy policy, int cores, long memoryMiB) {
        return switch (policy) {
            case FIRST_FIT -> firstFit(cores, memoryMiB);
            case LEAST_LOADED, SPREAD -> {
                for (LiveState.Node n : mostFree) {
                    if (n.freeCores() < cores) {
                        yield null; // the rest have fewer free cores still
                    }
                    if (n.freeMemoryMiB() >= memoryMiB) {
                        yield n;
                    }
                }
                yield null;
            }
            case PACK -> {
                LiveState.Node probe = LiveState.Node.probe(cores, memoryMiB);
                for (LiveState.Node n : leastFree.tailSet(probe, true)) {
                    if (n.freeMemoryMiB() >= memoryMiB) {
                        yield n;
                    }
                }
                yield null;
            }
        };
    }

    private LiveState.Node firstFit(int cores, long memoryMiB) {
        if (stale) {
            rebuild();
        }
        if (maxCores[1] < cores || maxMemory[1] < memoryMiB) {
            return null;
        }
        int at = find(1, cores, memoryMiB);
        return at < 0 ? null : byName[at - leaves];
    }

    /** Leftmost leaf under {@code v} whose node fits, or -1. The maxima prune whole subtrees. */
    private int find(int v, int cores, long memoryMiB) {
        if (maxCores[v] < cores || maxMemory[v] < memoryMiB) {
            return -1;
        }
        if (v >= leaves) {
            return v;
        }
        int left = find(2 * v, cores, memoryMiB);
        return left >= 0 ? left : find(2 * v + 1, cores, memoryMiB);
    }

    private void setLeaf(LiveState.Node n) {
        if (stale || n.position < 0 || n.position >= byName.length || byName[n.position] != n) {
            stale = true;
            return;
        }
        int v = leaves + n.position;
        maxCores[v] = n.indexed ? n.freeCores() : -1;
        maxMemory[v] = n.indexed ? n.freeMemoryMiB() : -1;
        for (v >>= 1; v >= 1; v >>= 1) {
            maxCores[v] = Math.max(maxCores[2 * v], maxCores[2 * v + 1]);
            maxMemory[v] = Math.max(maxMemory[2 * v], maxMemory[2 * v + 1]);
        }
    }

    private void rebuild() {
        byName = nodes.values().toArray(new LiveState.Node[0]);
        leaves = Integer.highestOneBit(Math.max(1, byName.length - 1)) << 1;
        maxCores = new int[2 * leaves];
        maxMemory = new long[2 * leaves];
        Arrays.fill(maxCores, -1);
        Arrays.fill(maxMemory, -1);
        for (int i = 0; i < byName.length; i++) {
            LiveState.Node n = byName[i];
            n.position = i;
            if (n.indexed) {
                maxCores[leaves + i] = n.freeCores();
                maxMemory[leaves + i] = n.freeMemoryMiB();
            }
        }
        for (int v = leaves - 1; v >= 1; v--) {
            maxCores[v] = Math.max(maxCores[2 * v], maxCores[2 * v + 1]);
            maxMemory[v] = Math.max(maxMemory[2 * v], maxMemory[2 * v + 1]);
        }
        stale = false;
    }
}
