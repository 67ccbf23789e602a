package org.rfaas.benchmarks.common;

import java.time.Duration;
import java.util.List;

/**
 * The placement probe: the cache-line round trip between two CPUs right now. On a VM the two
 * vCPUs sit sometimes on "near" host cores (~100 ns) and sometimes on "far" ones (~450 ns), which
 * scales every cross-core latency; a benchmark measures placement before and after each row and
 * flags a row whose placement changed, so no ratio compares a near run with a far one.
 *
 * <p>Runs the C {@code placement_probe} (see {@link NativeProbes}).
 */
public final class Placement {
    /** Round trips at or above this are classified "far". */
    public static final long FAR_NS = 250;
    private static final int ROUND_TRIPS = 5_000;

    private final Probe probe;
    private final int cpuA;
    private final int cpuB;

    /** A placement probe between {@code cpuA} and {@code cpuB}. */
    public Placement(NativeProbes probes, int cpuA, int cpuB) {
        this.probe = probes.probe("placement_probe");
        this.cpuA = cpuA;
        this.cpuB = cpuB;
    }

    /** The median cache-line round trip in ns, or empty (with the reason logged by the caller). */
    public Sample measure() {
        ProbeOutput out = probe.run(List.of(Integer.toString(ROUND_TRIPS), Integer.toString(cpuA), Integer.toString(cpuB)),
                Duration.ofSeconds(30));
        return switch (out) {
            case ProbeOutput.Result r -> new Sample(r.rtt().medianNs(), null);
            case ProbeOutput.Skip s -> new Sample(-1, s.reason());
        };
    }

    /**
     * One placement measurement.
     *
     * @param rttNs median cache-line round trip in ns, or -1 when not measured
     * @param skipReason why it was not measured, or {@code null}
     */
    public record Sample(long rttNs, String skipReason) {

        /** {@code true} when a round trip was measured. */
        public boolean measured() {
            return rttNs >= 0;
        }

        /** {@code near}, {@code far} or {@code ?}. */
        public String kind() {
            return !measured() ? "?" : rttNs >= FAR_NS ? "far" : "near";
        }
    }

    /**
     * Placement before and after a measurement.
     *
     * @param before measured just before
     * @param after measured just after
     */
    public record Span(Sample before, Sample after) {

        /** {@code true} when both were measured and their kind differs (near vs far). */
        public boolean changed() {
            return before.measured() && after.measured() && !before.kind().equals(after.kind());
        }

        /** For a table: {@code near 112/118}, {@code near>far 110/460 CHANGED}, or {@code n/a}. */
        public String describe() {
            if (!before.measured() && !after.measured()) {
                return "n/a";
            }
            String kinds = before.kind().equals(after.kind()) ? before.kind() : before.kind() + ">" + after.kind();
            return kinds + " " + ns(before) + "/" + ns(after) + (changed() ? " CHANGED" : "");
        }

        private static String ns(Sample s) {
            return s.measured() ? Long.toString(s.rttNs()) : "?";
        }
    }
}
