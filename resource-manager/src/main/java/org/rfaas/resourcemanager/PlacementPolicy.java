package org.rfaas.resourcemanager;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Which node with enough free capacity gets a new lease. */
public enum PlacementPolicy {
    /** The first fitting node in name order: packs leases, leaving whole nodes free for the batch system. */
    FIRST_FIT,
    /** The fitting node with the most free cores (then most free memory): spreads load. */
    LEAST_LOADED;

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
            case LEAST_LOADED -> fitting.max(Comparator.comparingInt(Candidate::freeCores)
                    .thenComparingLong(Candidate::freeMemoryMiB)
                    .thenComparing(Candidate::name, Comparator.reverseOrder()));
        };
    }
}
