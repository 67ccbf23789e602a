package org.rfaas.benchmarks.common;

import org.rfaas.demo.support.LatencyStats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProbeOutputTest {

    @Test
    void parsesAResultLineWithASpacedLabelAndExtraFields() {
        ProbeOutput out = ProbeOutput.parse(List.of("INFO something", "RESULT fabric tcp msg payload=1024 n=5000 rtt_ns"
                + " min=100.4 median=120 mean=130 p99=400 p99.9=900 max=1000 one_way_bw_at_median=1.0 GB/s"));
        ProbeOutput.Result r = assertInstanceOf(ProbeOutput.Result.class, out);
        assertEquals("fabric tcp msg", r.label());
        assertEquals(1024, r.payload());
        assertEquals(new LatencyStats(5000, 100, 120, 130, 400, 1000), r.rtt());
    }

    @Test
    void parsesASkipLine() {
        ProbeOutput out = ProbeOutput.parse(List.of("SKIP gcc not found"));
        assertEquals(new ProbeOutput.Skip("gcc not found"), out);
    }

    @Test
    void rejectsOutputWithoutAResultAndALineMissingAField() {
        assertThrows(IllegalArgumentException.class, () -> ProbeOutput.parse(List.of("hello")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProbeOutput.parse(List.of("RESULT x payload=8 n=10 rtt_ns min=1 median=2 mean=2 max=3")));
        assertTrue(e.getMessage().contains("p99"), e.getMessage());
    }

    @Test
    void medianOfRoundsTakesTheMiddleRound() {
        LatencyStats a = new LatencyStats(10, 5, 100, 110, 200, 900);
        LatencyStats b = new LatencyStats(10, 4, 300, 310, 600, 700);
        LatencyStats c = new LatencyStats(10, 6, 200, 210, 400, 800);
        assertEquals(new LatencyStats(30, 4, 200, 210, 400, 900), LatencyStats.medianOfRounds(List.of(a, b, c)));
    }

    @Test
    void pairedMedianDifferenceComparesRoundsThatRanTogether() {
        // Rounds 2 and 3 of both ran on a slow placement. Medians of rounds: 1100 - 1000 = 100;
        // the rounds themselves differ by 50, 50, 60, 40 and 900: their median is 50.
        List<LatencyStats> base = List.of(stats(1000), stats(1000), stats(3000), stats(3000), stats(100));
        List<LatencyStats> ours = List.of(stats(1050), stats(1050), stats(3060), stats(3040), stats(1000));
        assertEquals(50, LatencyStats.pairedMedianDifference(ours, base));
        assertEquals(-50, LatencyStats.pairedMedianDifference(base, ours));
        assertThrows(IllegalArgumentException.class, () -> LatencyStats.pairedMedianDifference(ours, base.subList(0, 4)));
        assertThrows(IllegalArgumentException.class, () -> LatencyStats.pairedMedianDifference(List.of(), List.of()));
    }

    private static LatencyStats stats(long median) {
        return new LatencyStats(10, median, median, median, median, median);
    }
}
