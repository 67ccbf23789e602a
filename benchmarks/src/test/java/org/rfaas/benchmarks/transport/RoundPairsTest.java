package org.rfaas.benchmarks.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.rfaas.demo.support.LatencyStats;
import org.rfaas.benchmarks.common.Placement;

/** Which round pairs a row's statistics come from. */
class RoundPairsTest {
    private static Placement.Sample at(long ns) {
        return new Placement.Sample(ns, null);
    }

    private static LatencyStats median(long ns) {
        return new LatencyStats(100, ns, ns, ns, 2 * ns, 3 * ns);
    }

    private static RoundPairs.Pair pair(long ours, Long c, long before, long between, long after) {
        return new RoundPairs.Pair(median(ours), c == null ? null : median(c), at(before), at(between), at(after));
    }

    @Test
    void pairsOnOnePlacementAreAllUsed() {
        RoundPairs p = new RoundPairs(true);
        p.add(pair(200, 120L, 95, 100, 101));
        p.add(pair(180, 130L, 101, 99, 120));
        p.add(pair(190, 110L, 120, 97, 98));
        RoundPairs.Selection s = p.select();
        assertEquals("near", s.kind());
        assertEquals(3, s.used().size());
        assertEquals("near 95-120 ns", s.describe());
        assertEquals(190, p.ours(s).medianNs());
        assertEquals(120, p.reference(s).medianNs());
        assertTrue(p.complete(3));
        assertFalse(p.complete(4));
    }

    @Test
    void aPairWithAChangeInsideIsDropped() {
        RoundPairs p = new RoundPairs(true);
        p.add(pair(200, 120L, 95, 100, 101));
        p.add(pair(200, 500L, 101, 450, 460)); // C ran far, ours near: must not be compared
        p.add(pair(190, 110L, 100, 97, 98));
        RoundPairs.Selection s = p.select();
        assertEquals("near", s.kind());
        assertEquals(2, s.used().size());
        assertEquals("near 95-101 ns (2/3 pairs)", s.describe());
        // median of 120 and 110; with the far round (500) it would be 120
        assertEquals(115, p.reference(s).medianNs(), "the far C round is not in the reference");
        assertFalse(p.complete(3));
    }

    @Test
    void thePlacementWithMorePairsWinsAndOnlyItsPairsCount() {
        RoundPairs p = new RoundPairs(true);
        p.add(pair(200, 120L, 95, 100, 101));
        p.add(pair(560, 500L, 430, 450, 460));
        p.add(pair(540, 490L, 440, 420, 431));
        RoundPairs.Selection s = p.select();
        assertEquals("far", s.kind());
        assertEquals("far 420-460 ns (2/3 pairs)", s.describe());
        // medians of the two far pairs (560, 540 and 500, 490); with the near pair 540 and 490
        assertEquals(550, p.ours(s).medianNs());
        assertEquals(495, p.reference(s).medianNs());
    }

    @Test
    void closeVCpusAreNotComparedWithNearOnes() {
        RoundPairs p = new RoundPairs(true);
        p.add(pair(200, 80L, 45, 100, 101)); // C ran with the vCPUs ~40 ns apart, ours ~100 ns
        p.add(pair(150, 80L, 40, 45, 48));
        p.add(pair(150, 82L, 44, 41, 47));
        RoundPairs.Selection s = p.select();
        assertEquals("close", s.kind());
        assertEquals("close 40-48 ns (2/3 pairs)", s.describe());
        assertEquals(150, p.ours(s).medianNs());
    }

    @Test
    void onATieTheLaterPlacementWins() {
        RoundPairs p = new RoundPairs(false);
        p.add(pair(560, null, 430, 450, 460));
        p.add(pair(200, null, 95, 100, 101));
        assertEquals("near", p.select().kind());
        p.add(pair(550, null, 430, 440, 450));
        assertEquals("far", p.select().kind());
    }

    @Test
    void withoutAnyUsablePairTheRowIsUndecidedAndUsesAllPairs() {
        RoundPairs p = new RoundPairs(true);
        p.add(pair(200, 500L, 95, 450, 460));
        p.add(pair(600, 120L, 450, 100, 100));
        RoundPairs.Selection s = p.select();
        assertTrue(s.undecided());
        assertEquals("mixed (0/2 pairs)", s.describe());
        assertEquals(2, p.ours(s).count() / 100);
    }

    @Test
    void aPairWhoseCRoundFailedIsNotUsedWhenTheRowHasC() {
        RoundPairs withC = new RoundPairs(true);
        withC.add(pair(200, null, 95, 100, 101));
        withC.add(pair(190, 120L, 95, 100, 101));
        assertEquals(1, withC.select().used().size());
        RoundPairs oursOnly = new RoundPairs(false);
        oursOnly.add(pair(200, null, 95, 100, 101));
        assertEquals(1, oursOnly.select().used().size());
        assertNull(oursOnly.reference(oursOnly.select()));
    }

    @Test
    void unmeasuredPlacementStillUsesThePairs() {
        RoundPairs p = new RoundPairs(true);
        Placement.Sample none = new Placement.Sample(-1, "gcc not found");
        p.add(new RoundPairs.Pair(median(200), median(120), none, none, none));
        assertEquals("n/a", p.select().describe());
        assertEquals(1, p.select().used().size());
    }
}
