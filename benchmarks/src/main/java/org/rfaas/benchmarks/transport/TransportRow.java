package org.rfaas.benchmarks.transport;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import org.rfaas.demo.support.LatencyStats;
import org.rfaas.demo.support.TextTable;

/**
 * One row of {@code rfaas bench transport}: our round trip and the C reference's, for one
 * transport, mode and payload size.
 *
 * @param transport the transport name, e.g. {@code shm}
 * @param mode hot or warm
 * @param bytes payload bytes, echoed back (both directions carry them)
 * @param ours our round-trip statistics (medians over rounds), or {@code null} when not measured
 * @param reference the C reference's statistics, or {@code null} when it did not run
 * @param referenceLabel what the C reference is, or why it did not run
 * @param placement the CPU placement of the round pairs the statistics come from
 */
public record TransportRow(String transport, Mode mode, int bytes, LatencyStats ours, LatencyStats reference,
        String referenceLabel, RoundPairs.Selection placement) {

    /** ours median / C median, or {@code NaN} when either is missing. */
    public double ratio() {
        if (ours == null || reference == null || reference.medianNs() <= 0) {
            return Double.NaN;
        }
        return (double) ours.medianNs() / reference.medianNs();
    }

    /** The table header matching {@link #cells()}. */
    public static List<String> header() {
        return List.of("provider", "mode", "bytes", "ours median", "ours p99", "C median", "C p99", "ratio",
                "C reference", "placement (pairs used)");
    }

    /** Indices of the numeric columns, right-aligned. */
    public static int[] numericColumns() {
        return new int[] {2, 3, 4, 5, 6, 7};
    }

    /** The row's table cells. */
    public List<String> cells() {
        double r = ratio();
        return List.of(transport, mode.label(), TextTable.bytes(bytes), ours == null ? "-" : TextTable.ns(ours.medianNs()),
                ours == null ? "-" : TextTable.ns(ours.p99Ns()), reference == null ? "-" : TextTable.ns(reference.medianNs()),
                reference == null ? "-" : TextTable.ns(reference.p99Ns()), Double.isNaN(r) ? "-" : String.format("%.2fx", r),
                referenceLabel, placement == null ? "n/a" : placement.describe());
    }

    /** The JSON object of this row (exactly the documented fields), or {@code null} without ours. */
    public Json json() {
        if (ours == null) {
            return null;
        }
        double r = ratio();
        return new Json(transport, mode.label(), bytes, ours.medianNs(), ours.p99Ns(),
                reference == null ? null : reference.medianNs(), Double.isNaN(r) ? null : Math.round(r * 1000) / 1000.0);
    }

    /**
     * The JSON form of a row: {@code provider, mode, bytes, median_ns, p99_ns, baseline_median_ns,
     * ratio}; the last two are {@code null} when the C reference did not run.
     */
    @JsonPropertyOrder({"provider", "mode", "bytes", "median_ns", "p99_ns", "baseline_median_ns", "ratio"})
    public record Json(@JsonProperty("provider") String provider, @JsonProperty("mode") String mode,
            @JsonProperty("bytes") int bytes, @JsonProperty("median_ns") long medianNs,
            @JsonProperty("p99_ns") long p99Ns, @JsonProperty("baseline_median_ns") Long baselineMedianNs,
            @JsonProperty("ratio") Double ratio) {
    }
}
