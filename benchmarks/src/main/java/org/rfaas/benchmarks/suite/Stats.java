package org.rfaas.benchmarks.suite;

import org.HdrHistogram.Histogram;

/**
 * Percentiles of a set of timings in nanoseconds.
 *
 * @param count number of samples
 * @param medianNs 50th percentile
 * @param p99Ns 99th percentile
 * @param meanNs arithmetic mean
 */
public record Stats(long count, long medianNs, long p99Ns, double meanNs) {

    /** Summarizes a histogram of nanosecond values. */
    public static Stats of(Histogram h) {
        return new Stats(h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getMean());
    }

    /** Summarizes raw nanosecond samples (small sets, such as cold starts). */
    public static Stats of(long[] samplesNs) {
        Histogram h = new Histogram(3);
        for (long v : samplesNs) {
            h.recordValue(Math.max(0, v));
        }
        return of(h);
    }
}
