package org.rfaas.benchmarks.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.rfaas.demo.support.LatencyStats;

class LatencyHarnessTest {

    /** A round trip that logs who was called and takes at least {@code nanos}. */
    private record Fake(String name, long nanos, List<String> log) implements RoundTrip {
        @Override
        public void prepare(int bytes) {
        }

        @Override
        public int call() {
            log.add(name);
            long end = System.nanoTime() + nanos;
            while (System.nanoTime() < end) {
                Thread.onSpinWait();
            }
            return 8;
        }

        @Override
        public void close() {
        }
    }

    /**
     * Rounds run the members A B, then B A, then A B, ...: whatever the first or last member of a
     * round pays is shared. Every result still belongs to its member.
     */
    @Test
    void oddRoundsRunTheMembersInReverseAndResultsStayWithTheirMember() throws Exception {
        List<String> log = new ArrayList<>();
        RoundTrip fast = new Fake("A", 0, log);
        RoundTrip slow = new Fake("B", 50_000, log);
        int rounds = 4;
        List<List<LatencyStats>> result = LatencyHarness.measureRounds(List.of(fast, slow), 8,
                new LatencyHarness.Budget(rounds, 2, 40, 5, 2_000_000L));

        List<String> runs = new ArrayList<>();
        for (String s : log) {
            if (runs.isEmpty() || !runs.getLast().equals(s)) {
                runs.add(s);
            }
        }
        // A B | B A | A B | B A: adjacent rounds share their boundary member.
        assertEquals(List.of("A", "B", "A", "B", "A"), runs);
        assertEquals(rounds, result.get(0).size());
        assertEquals(rounds, result.get(1).size());
        for (int r = 0; r < rounds; r++) {
            assertTrue(result.get(0).get(r).medianNs() < 50_000, "round " + r + " of A: " + result.get(0).get(r));
            assertTrue(result.get(1).get(r).medianNs() >= 50_000, "round " + r + " of B: " + result.get(1).get(r));
        }
    }
}
