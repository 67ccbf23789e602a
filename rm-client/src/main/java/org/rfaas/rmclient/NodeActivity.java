package org.rfaas.rmclient;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What an executor manager has served since it started, sent with each heartbeat so that the
 * resource manager can show invocation and cold-start rates per node. Every field is a running
 * total (a counter in Prometheus terms): the receiver derives rates from the difference between
 * two heartbeats, and a smaller value than the last one means the manager restarted.
 *
 * @param invocations invocations its executors served, failed ones included, as flushed so far
 * @param failedInvocations invocations whose function failed
 * @param coldStarts executors that became ready for a lease (from a spare or freshly forked)
 * @param coldStartNanos the sum of those executors' times from allocation request to ready
 */
public record NodeActivity(long invocations, long failedInvocations, long coldStarts, long coldStartNanos) {
    /** Nothing served yet. */
    public static final NodeActivity ZERO = new NodeActivity(0, 0, 0, 0);

    @JsonCreator
    public NodeActivity(@JsonProperty(value = "invocations", required = true) long invocations,
            @JsonProperty(value = "failedInvocations", required = true) long failedInvocations,
            @JsonProperty(value = "coldStarts", required = true) long coldStarts,
            @JsonProperty(value = "coldStartNanos", required = true) long coldStartNanos) {
        if (invocations < 0 || failedInvocations < 0 || coldStarts < 0 || coldStartNanos < 0) {
            throw new IllegalArgumentException("node activity counters must not be negative");
        }
        if (failedInvocations > invocations) {
            throw new IllegalArgumentException("failedInvocations (" + failedInvocations + ") exceeds invocations ("
                    + invocations + ")");
        }
        this.invocations = invocations;
        this.failedInvocations = failedInvocations;
        this.coldStarts = coldStarts;
        this.coldStartNanos = coldStartNanos;
    }
}
