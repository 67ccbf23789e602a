package org.rfaas.benchmarks.invoke;

import org.HdrHistogram.Histogram;

/**
 * One system under a pipelined benchmark: echo calls of a prepared input with up to {@code depth}
 * in flight, completed by the measuring thread. Implementations allocate nothing per call.
 */
public interface PipelinedLoop extends AutoCloseable {

    /** {@code rfaas} or {@code raw}. */
    String system();

    /** Builds an input of {@code bytes} bytes and checks once that it is echoed unchanged. */
    void prepare(int bytes) throws Exception;

    /**
     * Runs {@code calls} echo calls keeping {@code depth} in flight; records each call's time from
     * send to completion into {@code latencies} (if not null).
     *
     * @return the elapsed nanoseconds
     */
    long run(int depth, long calls, Histogram latencies) throws Exception;

    @Override
    void close() throws Exception;
}
