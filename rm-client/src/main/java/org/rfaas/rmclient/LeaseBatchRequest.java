package org.rfaas.rmclient;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A request for {@code count} leases of the same size in one round trip (e.g. one per MPI rank).
 *
 * @param count how many leases, 1 to {@link #MAX_COUNT}
 * @param cores cores of each lease (on one node)
 * @param memoryMiB memory of each lease, in MiB
 * @param durationMillis duration of each lease; 0 asks for the resource manager's default
 * @param tenant who is billed
 * @param maxPerNode at most this many of the batch's leases on one node; 0 for no limit
 * @param mode {@code all-or-nothing} (the default: every lease or none) or {@code best-effort}
 *     (as many as fit, at least one)
 * @param placement optional policy, as in {@link LeaseRequest#placement()}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LeaseBatchRequest(int count, int cores, long memoryMiB, long durationMillis, String tenant, int maxPerNode,
        String mode, String placement) {
    /** Largest batch: bounds the work of one request and the size of its answer. */
    public static final int MAX_COUNT = 16_384;
    public static final String ALL_OR_NOTHING = "all-or-nothing";
    public static final String BEST_EFFORT = "best-effort";

    public LeaseBatchRequest {
        if (count <= 0 || count > MAX_COUNT) {
            throw new IllegalArgumentException("count must be in 1.." + MAX_COUNT + ", got " + count);
        }
        Checks.positive("cores", cores);
        Checks.positive("memoryMiB", memoryMiB);
        Checks.nonNegative("durationMillis", durationMillis);
        Checks.name("tenant", tenant);
        Checks.nonNegative("maxPerNode", maxPerNode);
        if (mode != null && !ALL_OR_NOTHING.equals(mode) && !BEST_EFFORT.equals(mode)) {
            throw new IllegalArgumentException("mode must be all-or-nothing or best-effort, got '" + mode + "'");
        }
        Checks.placement(placement);
    }

    /** Whether the batch is refused unless every lease fits. */
    public boolean allOrNothing() {
        return mode == null || ALL_OR_NOTHING.equals(mode);
    }
}
