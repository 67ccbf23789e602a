package org.rfaas.resourcemanager;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which node with enough free capacity gets a new lease. {@link #choose} states each policy over a
 * list (the reference, used by tests); the resource manager itself answers from a
 * {@link PlacementIndex}, which gives the same node without scanning every node.
 */
public enum PlacementPolicy {
    /** The first fitting node in name order: packs leases, leaving whole nodes free for the batch system. */
    FIRST_FIT,
    /** The fitting node with the most free cores (then most free memory, then the first name): spreads load. */
    LEAST_LOADED,
    /**
     * Best fit: the fitting node with the fewest free cores (then least free memory, then the first
     * name), so partly used nodes fill up before empty ones are touched.
     */
    PACK,
    /** Another name of {@link #LEAST_LOADED} for a request that asks to spread its leases. */
    SPREAD;

    /** Free capacity of one node that takes leases (up and not draining). */
    record Candidate(String name, int freeCores, long freeMemoryMiB) {
        boolean fits(int cores, long memoryMiB) {
            return freeCores >= cores && freeMemoryMiB >= memoryMiB;
        }
    }

    /** Picks a node for {@code cores} and {@code memoryMiB}; candidates come in name order. */
    Optional<Candidate> choose(List<Candidate> candidates, int cores, long memoryMiB) {
        var fitting = candidates.stream().filter(c -> c.fits(cores, memoryMiB));
        return switch (this) {
            case FIRST_FIT -> fitting.findFirst();
            case LEAST_LOADED, SPREAD -> fitting.max(Comparator.comparingInt(Candidate::freeCores)
                    .thenComparingLong(Candidate::freeMemoryMiB)
                    .thenComparing(Candidate::name, Comparator.reverseOrder()));
            case PACK -> fitting.min(Comparator.comparingInt(Candidate::freeCores)
                    .thenComparingLong(Candidate::freeMemoryMiB)
                    .thenComparing(Candidate::name));
        };
    }

    /** The policy named {@code first-fit}, {@code least-loaded}, {@code pack} or {@code spread}. */
    public static PlacementPolicy named(String name) {
        return switch (name.toLowerCase(Locale.ROOT).replace('_', '-')) {
            case "first-fit" -> FIRST_FIT;
            case "least-loaded" -> LEAST_LOADED;
            case "pack" -> PACK;
            case "spread" -> SPREAD;
            default -> throw new IllegalArgumentException("placement must be first-fit or least-loaded, or pack or spread, got " + name);
        };
    }
}
