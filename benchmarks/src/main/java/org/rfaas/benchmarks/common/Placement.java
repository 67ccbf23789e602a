package org.rfaas.benchmarks.common;

import java.time.Duration;
import java.util.List;

/**
 * The placement probe: the cache-line round trip between two CPUs right now. On a VM the two
 * vCPUs sit sometimes on "near" host cores (~100 ns) and sometimes on "far" ones (~450 ns), which
 * scales every cross-core latency; {@code rfaas bench transport} measures placement around every
 * pair of rounds and compares only rounds that ran on one placement.
 *
 * <p>Runs the C {@code placement_probe} (see {@link NativeProbes}).
 */
public final class Placement {
    /** Round trips at or above this are classified "far". */
    public static final long FAR_NS = 250;
    /**
     * Round trips below this are classified "close": now and then the two vCPUs land on host
     * CPUs that share a core or a cache slice (~40 ns instead of ~100), which shortens every
     * cross-core hand-off again.
     */
    public static final long CLOSE_NS = 70;
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

        /** {@code close}, {@code near}, {@code far} or {@code ?}. */
        public String kind() {
            return !measured() ? "?" : rttNs >= FAR_NS ? "far" : rttNs < CLOSE_NS ? "close" : "near";
        }
    }
}
