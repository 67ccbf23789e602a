package org.rfaas.benchmarks.suite;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import org.rfaas.demo.support.LatencyStats;

/**
 * One measurement: a row of {@code summary.json} and of the benchmark's CSV.
 *
 * @param benchmark which benchmark produced it: {@code latency}, {@code bandwidth}, {@code scaling},
 *     {@code pipelined}, {@code cold}
 * @param system {@code rfaas}, {@code raw}, {@code grpc}, {@code hazelcast} or {@code http-gateway}
 * @param provider the transport ({@code shm}, {@code tcp}, {@code fabric:tcp}); for peers the stack they run on
 * @param mode {@code hot}, {@code warm}, {@code cold} (or a cold-start phase); {@code default} for peers
 * @param bytes payload size in bytes (input and echoed output)
 * @param cores parallel invocations (scaling: cores scattered over; pipelined: calls in flight); 1 elsewhere
 * @param samples number of timed operations behind the percentiles
 * @param medianNs median of the per-operation time
 * @param p99Ns 99th percentile of the per-operation time
 * @param throughput operations per second (scaling, pipelined) or bytes per second (bandwidth); 0 when not measured
 */
@JsonPropertyOrder({"benchmark", "system", "provider", "mode", "bytes", "cores", "samples", "median_ns", "p99_ns", "throughput"})
@JsonInclude(JsonInclude.Include.ALWAYS)
public record Row(
        String benchmark,
        String system,
        String provider,
        String mode,
        long bytes,
        int cores,
        long samples,
        @JsonProperty("median_ns") long medianNs,
        @JsonProperty("p99_ns") long p99Ns,
        double throughput) {

    /** A latency row. */
    public static Row latency(String system, String provider, String mode, long bytes, LatencyStats s) {
        return new Row("latency", system, provider, mode, bytes, 1, s.count(), s.medianNs(), s.p99Ns(), 0);
    }

    /** The key that matches a row with its counterpart in another system. */
    public String sizeKey() {
        return benchmark + "|" + mode + "|" + bytes + "|" + cores;
    }
}
