package org.rfaas.benchmarks.suite;

import org.HdrHistogram.Histogram;
import org.rfaas.demo.support.LatencyStats;

import java.util.ArrayList;
import java.util.List;

/**
 * Times round trips (closed loop, one call outstanding) of a group of systems that are measured
 * side by side: rFaaS and the raw transport of the same provider and mode, for instance.
 *
 * <p>The members of a group take turns in short rounds (A, B, A, B, ...) and each member's result
 * is the median over its rounds ({@link LatencyStats#medianOfRounds}), so a neighbour process that
 * disturbs the machine for a while hits both members alike instead of deciding one of them. Each
 * round starts with untimed calls for at least {@link #ROUND_WARMUP_NANOS}, which wakes a server
 * that went to sleep while the other member ran and outlasts the hot timeout of the member that
 * ran before, so that a server spinning for nothing does not share the cores with the round. Each measurement is bounded by a number of calls and by a time budget, so a
 * slow system (an HTTP gateway at 5 MiB) finishes in seconds while a fast one gets enough samples
 * for a stable p99.
 */
public final class LatencyHarness {
    private LatencyHarness() {
    }

    /** Untimed calls at the start of each round last at least this long: 5 ms. */
    public static final long ROUND_WARMUP_NANOS = 5_000_000L;

    /**
     * How much time and how many calls one measurement may use, for all rounds together.
     *
     * @param rounds rounds per member
     * @param warmupPerRound untimed calls at the start of each round
     * @param iterations the most timed calls per member
     * @param minSamples the fewest timed calls per round, even past the budget
     * @param budgetNanos wall-clock budget per member
     */
    public record Budget(int rounds, int warmupPerRound, int iterations, int minSamples, long budgetNanos) {

        /** Large payloads get fewer calls. */
        Budget forBytes(int bytes) {
            int scale = bytes >= (1 << 20) ? 20 : bytes >= (64 << 10) ? 4 : 1;
            return new Budget(rounds, Math.max(2, warmupPerRound / scale), Math.max(minSamples * rounds, iterations / scale),
                    minSamples, budgetNanos);
        }
    }

    /** Measures one system alone. */
    public static LatencyStats measure(RoundTrip rt, int bytes, Budget budget) throws Exception {
        return measureGroup(List.of(rt), bytes, budget).getFirst();
    }

    /**
     * Prepares {@code bytes} on every member and measures them in alternating rounds.
     *
     * @return one result per member, in order
     * @throws IllegalStateException when a call returns an output of the wrong length
     */
    public static List<LatencyStats> measureGroup(List<RoundTrip> group, int bytes, Budget budget) throws Exception {
        return measureRounds(group, bytes, budget).stream().map(LatencyStats::medianOfRounds).toList();
    }

    /**
     * As {@link #measureGroup}, but returns every round: element {@code m} holds member {@code m}'s
     * rounds in order, and round {@code r} of every member ran back to back with the others'
     * round {@code r} (for paired comparisons, {@link LatencyStats#pairedMedianDifference}).
     */
    public static List<List<LatencyStats>> measureRounds(List<RoundTrip> group, int bytes, Budget budget)
            throws Exception {
        Budget b = budget.forBytes(bytes);
        for (RoundTrip rt : group) {
            rt.prepare(bytes);
        }
        int perRound = Math.max(1, b.iterations() / b.rounds());
        long roundBudget = b.budgetNanos() / b.rounds();
        List<List<LatencyStats>> rounds = new ArrayList<>();
        group.forEach(rt -> rounds.add(new ArrayList<>()));
        Histogram h = LatencyStats.newHistogram();
        for (int r = 0; r < b.rounds(); r++) {
            for (int k = 0; k < group.size(); k++) {
                // Odd rounds run the members in reverse (A B, B A, A B, ...): whatever the first or
                // the last member of a round pays (a server waking up, the previous member's
                // server still spinning) lands on every member equally often.
                int m = (r & 1) == 0 ? k : group.size() - 1 - k;
                RoundTrip rt = group.get(m);
                long warmStart = System.nanoTime();
                for (int i = 0; i < b.warmupPerRound() || System.nanoTime() - warmStart < ROUND_WARMUP_NANOS; i++) {
                    check(rt.call(), bytes);
                }
                long deadline = System.nanoTime() + roundBudget;
                h.reset();
                for (int i = 0; i < perRound; i++) {
                    long t0 = System.nanoTime();
                    int n = rt.call();
                    long t1 = System.nanoTime();
                    check(n, bytes);
                    h.recordValue(Math.max(1, Math.min(LatencyStats.HISTOGRAM_MAX_NS, t1 - t0)));
                    if (i + 1 >= b.minSamples() && t1 > deadline) {
                        break;
                    }
                }
                rounds.get(m).add(LatencyStats.of(h));
            }
        }
        return rounds;
    }

    /**
     * Runs calls of {@code bytes} for {@code nanos} untimed, so that both sides' JIT compilers and
     * connections reach their steady state before the first measured size.
     */
    public static void warmUp(RoundTrip rt, int bytes, long nanos) throws Exception {
        rt.prepare(bytes);
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            check(rt.call(), bytes);
        }
    }

    private static void check(int got, int bytes) {
        if (got != bytes) {
            throw new IllegalStateException("echo returned " + got + " bytes for an input of " + bytes);
        }
    }
}
