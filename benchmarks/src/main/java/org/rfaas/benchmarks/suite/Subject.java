package org.rfaas.benchmarks.suite;

import java.util.concurrent.Callable;

/**
 * A system to measure in the latency benchmark: the labels of its rows and how to start it.
 *
 * @param system the {@code system} column
 * @param provider the {@code provider} column
 * @param mode the {@code mode} column
 * @param open starts the system (server processes, connections) and returns its client
 */
public record Subject(String system, String provider, String mode, Callable<RoundTrip> open) {

    /** {@code system provider mode}, for progress messages and errors. */
    public String label() {
        return system + " " + provider + " " + mode;
    }
}
