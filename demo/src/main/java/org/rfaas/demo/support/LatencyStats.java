package org.rfaas.demo.support;

import java.util.Arrays;
import java.util.List;
import java.util.function.ToLongFunction;
import org.HdrHistogram.Histogram;

/**
 * Round-trip statistics in nanoseconds, the common currency of the benchmarks: built from an
 * HdrHistogram (our side) or parsed from a C probe's {@code RESULT} line (the reference side).
 *
 * @param count number of samples
 * @param minNs smallest sample
 * @param medianNs 50th percentile (nearest rank)
 * @param meanNs arithmetic mean, rounded
 * @param p99Ns 99th percentile (nearest rank)
 * @param maxNs largest sample
 */
public record LatencyStats(long count, long minNs, long medianNs, long meanNs, long p99Ns, long maxNs) {

    /** Highest value a {@link #newHistogram()} records: 60 s. */
    public static final long HISTOGRAM_MAX_NS = 60_000_000_000L;

    /** A histogram for nanosecond latencies from 1 ns to 60 s with 3 significant digits. */
    public static Histogram newHistogram() {
        return new Histogram(1, HISTOGRAM_MAX_NS, 3);
    }

    /** Summarizes a histogram of nanosecond samples. */
    public static LatencyStats of(Histogram h) {
        if (h.getTotalCount() == 0) {
            throw new IllegalArgumentException("no samples recorded");
        }
        return new LatencyStats(h.getTotalCount(), h.getMinValue(), h.getValueAtPercentile(50.0),
                Math.round(h.getMean()), h.getValueAtPercentile(99.0), h.getMaxValue());
    }

    /**
     * Combines the statistics of several short rounds of the same measurement: each field is the
     * median of that field over the rounds (min and max are the extremes; counts add up). Taking
     * medians over interleaved rounds discards a round that a neighbour process disturbed.
     */
    public static LatencyStats medianOfRounds(List<LatencyStats> rounds) {
        if (rounds.isEmpty()) {
            throw new IllegalArgumentException("no rounds");
        }
        return new LatencyStats(rounds.stream().mapToLong(LatencyStats::count).sum(),
                rounds.stream().mapToLong(LatencyStats::minNs).min().orElseThrow(),
                median(rounds, LatencyStats::medianNs), median(rounds, LatencyStats::meanNs),
                median(rounds, LatencyStats::p99Ns),
                rounds.stream().mapToLong(LatencyStats::maxNs).max().orElseThrow());
    }

    /**
     * The typical difference between two systems measured in alternating rounds: the median over
     * rounds of ({@code a}'s round median − {@code b}'s round median), round {@code i} of both
     * having run back to back. A shift that lasts a few rounds (the vCPUs' placement changes, a
     * neighbour's burst) moves both halves of a pair and cancels, where it would move one side's
     * median of rounds more than the other's.
     *
     * @throws IllegalArgumentException when the lists are empty or of different lengths
     */
    public static long pairedMedianDifference(List<LatencyStats> a, List<LatencyStats> b) {
        if (a.isEmpty() || a.size() != b.size()) {
            throw new IllegalArgumentException("need the same, non-zero number of rounds, got " + a.size() + " and "
                    + b.size());
        }
        List<Long> differences = new java.util.ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            differences.add(a.get(i).medianNs() - b.get(i).medianNs());
        }
        return median(differences, Long::longValue);
    }

    /** The median of one field over a list (the mean of the two middle values for an even count). */
    public static <T> long median(List<T> items, ToLongFunction<T> field) {
        long[] v = items.stream().mapToLong(field).toArray();
        if (v.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        Arrays.sort(v);
        int mid = v.length / 2;
        return (v.length & 1) == 1 ? v[mid] : Math.round((v[mid - 1] + v[mid]) / 2.0);
    }
}
