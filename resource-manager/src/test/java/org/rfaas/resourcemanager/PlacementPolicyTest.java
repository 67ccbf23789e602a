package org.rfaas.resourcemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

final class PlacementPolicyTest {
    private static final List<PlacementPolicy.Candidate> NODES = List.of(
            new PlacementPolicy.Candidate("a", 2, 8192),
            new PlacementPolicy.Candidate("b", 6, 1024),
            new PlacementPolicy.Candidate("c", 6, 4096),
            new PlacementPolicy.Candidate("d", 1, 65536));

    private static String pick(PlacementPolicy p, int cores, long mem) {
        return p.choose(NODES, cores, mem).map(PlacementPolicy.Candidate::name).orElse("-");
    }

    @Test
    void firstFitTakesTheFirstNodeThatFitsBothCoresAndMemory() {
        assertEquals("a", pick(PlacementPolicy.FIRST_FIT, 1, 512));
        assertEquals("b", pick(PlacementPolicy.FIRST_FIT, 3, 512));
        assertEquals("c", pick(PlacementPolicy.FIRST_FIT, 3, 2048));
        assertEquals("a", pick(PlacementPolicy.FIRST_FIT, 2, 8192));
        assertEquals("-", pick(PlacementPolicy.FIRST_FIT, 7, 1));
        assertEquals("-", pick(PlacementPolicy.FIRST_FIT, 2, 9000));
    }

    @Test
    void leastLoadedTakesTheMostFreeCoresThenMemory() {
        assertEquals("c", pick(PlacementPolicy.LEAST_LOADED, 1, 512), "b and c tie on cores; c has more memory");
        assertEquals("d", pick(PlacementPolicy.LEAST_LOADED, 1, 10_000));
        assertEquals("-", pick(PlacementPolicy.LEAST_LOADED, 7, 1));
        assertEquals(Optional.empty(), PlacementPolicy.LEAST_LOADED.choose(List.of(), 1, 1));
        assertTrue(PlacementPolicy.LEAST_LOADED.choose(List.of(new PlacementPolicy.Candidate("x", 1, 1),
                new PlacementPolicy.Candidate("y", 1, 1)), 1, 1).orElseThrow().name().equals("x"), "ties go to the first name");
    }
}
