package org.rfaas.benchmarks.invoke;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One row of the pipelined benchmark: rFaaS echo calls with {@code depth} in flight on one leased
 * core beside the raw transport's pipelined ping-pong of the same depth and size, measured in
 * alternating rounds of the same run.
 *
 * @param provider the transport
 * @param mode always {@code pipelined} (tells these rows from {@link InvokeRow}s in one JSON file)
 * @param bytes payload (input and echoed output)
 * @param depth calls in flight
 * @param callsPerSecond rFaaS completed calls per second (median over the rounds)
 * @param medianNs median time of one call from send to completion
 * @param p99Ns its 99th percentile
 * @param rawCallsPerSecond the raw transport's messages echoed per second
 * @param rawMedianNs the raw median
 * @param rawP99Ns the raw 99th percentile
 * @param samples rFaaS calls timed
 *
 * <p>{@link #steadyCallsPerSecond()} ({@code depth} ÷ median) is the rate while nothing stalls:
 * on a loaded machine a process preempted for milliseconds drags the measured calls/s far below
 * it, while the median stays put.
 */
@JsonPropertyOrder({"provider", "mode", "bytes", "depth", "calls_per_s", "median_ns", "p99_ns", "raw_calls_per_s",
        "raw_median_ns", "raw_p99_ns", "samples"})
public record PipelineRow(String provider, String mode, long bytes, int depth,
                          @JsonProperty("calls_per_s") double callsPerSecond,
                          @JsonProperty("median_ns") long medianNs,
                          @JsonProperty("p99_ns") long p99Ns,
                          @JsonProperty("raw_calls_per_s") double rawCallsPerSecond,
                          @JsonProperty("raw_median_ns") long rawMedianNs,
                          @JsonProperty("raw_p99_ns") long rawP99Ns,
                          long samples) {

    /** Calls per second implied by the median: {@code depth} calls complete every median. */
    @JsonProperty("steady_calls_per_s")
    public double steadyCallsPerSecond() {
        return medianNs == 0 ? 0 : depth * 1e9 / medianNs;
    }

    /** The raw transport's {@link #steadyCallsPerSecond()}. */
    @JsonProperty("raw_steady_calls_per_s")
    public double rawSteadyCallsPerSecond() {
        return rawMedianNs == 0 ? 0 : depth * 1e9 / rawMedianNs;
    }

    /** rFaaS calls/s over the raw transport's. */
    public double ratio() {
        return rawCallsPerSecond == 0 ? 0 : callsPerSecond / rawCallsPerSecond;
    }
}
