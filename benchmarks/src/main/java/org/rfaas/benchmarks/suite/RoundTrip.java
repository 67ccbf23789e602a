package org.rfaas.benchmarks.suite;

/**
 * One system under test, reduced to what a latency benchmark needs: an echo invocation of a
 * prepared input. Implementations allocate their input (and, where the system allows, their output)
 * once in {@link #prepare}, so that {@link #call} measures the system, not the benchmark.
 */
public interface RoundTrip extends AutoCloseable {

    /**
     * Builds an input of {@code bytes} bytes and checks once, byte for byte, that the system echoes
     * it back unchanged.
     *
     * @throws IllegalStateException when the echoed output differs from the input
     */
    void prepare(int bytes) throws Exception;

    /** One round trip of the prepared input; returns the length of the output received. */
    int call() throws Exception;

    /** Releases connections and child processes. */
    @Override
    void close() throws Exception;
}
