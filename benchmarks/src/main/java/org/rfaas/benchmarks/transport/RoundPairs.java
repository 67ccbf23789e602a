package org.rfaas.benchmarks.transport;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.rfaas.demo.support.LatencyStats;
import org.rfaas.benchmarks.common.Placement;

/**
 * The round pairs of one benchmark row, each tagged with the CPU placement measured before,
 * between and after its two rounds, and the choice of the pairs the row's statistics come from.
 *
 * <p>On these VMs the two vCPUs move between "near" and "far" host cores (and now and then "close"
 * ones) every few seconds, and a far round trip is several times a near one. A pair whose three placement probes agree ran on one
 * placement, so its C round and our round are comparable; a pair with a change inside is dropped.
 * Of the comparable pairs the row uses those of the placement that has more of them (the later
 * one on a tie), so its ratio never divides a near median by a far one.
 */
final class RoundPairs {
    /** Placement kind of a pair whose probes disagree. */
    static final String MIXED = "mixed";

    /**
     * One C round and one of ours, back to back, with the placement around them.
     *
     * @param ours our round
     * @param c the C reference's round, or {@code null} when it did not run or failed
     * @param before placement probe before the first round
     * @param between placement probe between the two rounds
     * @param after placement probe after the second round
     */
    record Pair(LatencyStats ours, LatencyStats c, Placement.Sample before, Placement.Sample between,
            Placement.Sample after) {

        /** {@code close}, {@code near} or {@code far} when all three probes say so, {@code ?} unmeasured, else {@link #MIXED}. */
        String kind() {
            String k = before.kind();
            return k.equals(between.kind()) && k.equals(after.kind()) ? k : MIXED;
        }

        long minNs() {
            return Math.min(before.rttNs(), Math.min(between.rttNs(), after.rttNs()));
        }

        long maxNs() {
            return Math.max(before.rttNs(), Math.max(between.rttNs(), after.rttNs()));
        }
    }

    /**
     * The pairs a row uses.
     *
     * @param kind the placement of the used pairs ({@code close}, {@code near}, {@code far}, {@code ?} when the
     *        probe could not run), or {@link #MIXED} when no pair was usable
     * @param used the pairs the statistics come from; empty when none was usable
     * @param total all pairs that were run
     */
    record Selection(String kind, List<Pair> used, int total) {
        Selection {
            used = List.copyOf(used);
        }

        /** For a table: {@code near 95-104 ns}, {@code far 410-450 ns (3/4 pairs)}, {@code mixed (0/3 pairs)}, {@code n/a}. */
        String describe() {
            if (used.isEmpty()) {
                return MIXED + " (0/" + total + " pairs)";
            }
            String share = used.size() == total ? "" : " (" + used.size() + "/" + total + " pairs)";
            if (kind.equals("?")) {
                return "n/a" + share;
            }
            long min = used.stream().mapToLong(Pair::minNs).min().orElseThrow();
            long max = used.stream().mapToLong(Pair::maxNs).max().orElseThrow();
            return kind + " " + min + "-" + max + " ns" + share;
        }

        /** {@code true} when no pair ran on one placement throughout. */
        boolean undecided() {
            return used.isEmpty();
        }
    }

    private final boolean withC;
    private final List<Pair> pairs = new ArrayList<>();

    /** Pairs of a row that has a C reference ({@code withC}) or only our rounds. */
    RoundPairs(boolean withC) {
        this.withC = withC;
    }

    void add(Pair p) {
        pairs.add(p);
    }

    int size() {
        return pairs.size();
    }

    /** {@code true} once one placement has {@code wanted} usable pairs. */
    boolean complete(int wanted) {
        return select().used().size() >= wanted;
    }

    /** The usable pairs of the placement with the most of them (on a tie, the one seen last). */
    Selection select() {
        Map<String, List<Pair>> byKind = new LinkedHashMap<>();
        String last = null;
        for (Pair p : pairs) {
            if (usable(p)) {
                byKind.computeIfAbsent(p.kind(), k -> new ArrayList<>()).add(p);
                last = p.kind();
            }
        }
        if (last == null) {
            return new Selection(MIXED, List.of(), pairs.size());
        }
        String best = last;
        for (Map.Entry<String, List<Pair>> e : byKind.entrySet()) {
            if (e.getValue().size() > byKind.get(best).size()) {
                best = e.getKey();
            }
        }
        return new Selection(best, byKind.get(best), pairs.size());
    }

    /** Our statistics: medians over the selected pairs, or over all pairs when none was usable. */
    LatencyStats ours(Selection s) {
        return LatencyStats.medianOfRounds((s.undecided() ? pairs : s.used()).stream().map(Pair::ours).toList());
    }

    /** The C statistics the same way, or {@code null} when no C round ran. */
    LatencyStats reference(Selection s) {
        List<LatencyStats> c = (s.undecided() ? pairs : s.used()).stream().map(Pair::c)
                .filter(java.util.Objects::nonNull).toList();
        return c.isEmpty() ? null : LatencyStats.medianOfRounds(c);
    }

    private boolean usable(Pair p) {
        return !p.kind().equals(MIXED) && (!withC || p.c() != null);
    }
}
