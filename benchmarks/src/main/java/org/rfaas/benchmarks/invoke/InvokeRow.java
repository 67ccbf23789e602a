package org.rfaas.benchmarks.invoke;

import org.rfaas.demo.support.LatencyStats;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One row of {@code rfaas bench invoke --json}: an rFaaS round trip beside the raw transport's, or
 * (mode {@code cold}) allocation request → first result.
 *
 * @param provider the transport
 * @param mode {@code hot}, {@code warm} or {@code cold}
 * @param bytes payload (input and echoed output); 0 for cold
 * @param medianNs median
 * @param p99Ns 99th percentile
 * @param rawMedianNs median of the raw transport ping-pong of the same size and mode; null for cold
 * @param rawP99Ns its 99th percentile; null for cold
 * @param overheadNs rFaaS − raw: the median over the alternating rounds of the difference between
 *     the two round medians ({@link org.rfaas.demo.support.LatencyStats#pairedMedianDifference});
 *     close to {@code medianNs - rawMedianNs}, less moved by shifts that last a few rounds; null for cold
 * @param samples timed round trips (allocations for cold)
 */
@JsonPropertyOrder({"provider", "mode", "bytes", "median_ns", "p99_ns", "raw_median_ns", "raw_p99_ns", "overhead_ns",
        "samples"})
public record InvokeRow(String provider, String mode, long bytes,
                        @JsonProperty("median_ns") long medianNs,
                        @JsonProperty("p99_ns") long p99Ns,
                        @JsonProperty("raw_median_ns") Long rawMedianNs,
                        @JsonProperty("raw_p99_ns") Long rawP99Ns,
                        @JsonProperty("overhead_ns") Long overheadNs,
                        long samples) {

    /**
     * rFaaS bandwidth as a fraction of the raw transport's at the same size and mode (the same
     * bytes move both ways in both): raw median over raw median plus the paired overhead, or null
     * for cold rows. Paired like the overhead, so that a load shift during a few rounds, which
     * moves one side's median of rounds more than the other's, does not move the fraction.
     */
    public Double bandwidthFraction() {
        if (rawMedianNs == null || rawMedianNs <= 0) {
            return null;
        }
        long ours = overheadNs == null ? medianNs : rawMedianNs + overheadNs;
        return ours <= 0 ? null : (double) rawMedianNs / ours;
    }
}
