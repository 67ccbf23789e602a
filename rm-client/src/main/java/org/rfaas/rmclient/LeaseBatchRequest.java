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
 * @param requestId optional: the caller's id of this batch (as {@link LeaseRequest#requestId()}, at most
 *     {@link #MAX_REQUEST_ID} characters). While leases it got are active, the same id from the same
 *     tenant is answered with those leases again instead of new ones, so a batch retried after a lost
 *     answer is not granted twice. {@link ResourceManagerClient#requestLeases} sets one.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LeaseBatchRequest(int count, int cores, long memoryMiB, long durationMillis, String tenant, int maxPerNode,
        String mode, String placement, String requestId) {
    /** Largest batch: bounds the work of one request and the size of its answer. */
    public static final int MAX_COUNT = 16_384;
    /**
     * Longest batch request id: each lease of the batch records it with its index ({@code id#i}),
     * which must fit the 128 characters a lease's request id has.
     */
    public static final int MAX_REQUEST_ID = 128 - ("#" + (MAX_COUNT - 1)).length();
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
        if (requestId != null) {
            Checks.name("requestId", requestId);
            if (requestId.length() > MAX_REQUEST_ID) {
                throw new IllegalArgumentException("a batch's requestId has at most " + MAX_REQUEST_ID + " characters");
            }
        }
    }

    /** A batch without a request id. */
    public LeaseBatchRequest(int count, int cores, long memoryMiB, long durationMillis, String tenant, int maxPerNode,
            String mode, String placement) {
        this(count, cores, memoryMiB, durationMillis, tenant, maxPerNode, mode, placement, null);
    }

    /** The same batch carrying {@code id} as its request id. */
    public LeaseBatchRequest withRequestId(String id) {
        return new LeaseBatchRequest(count, cores, memoryMiB, durationMillis, tenant, maxPerNode, mode, placement, id);
    }

    /** The request id recorded with the batch's lease number {@code index} (never a single request's id). */
    public String leaseRequestId(int index) {
        return requestId == null ? null : requestId + '#' + index;
    }

    /** Whether the batch is refused unless every lease fits. */
    public boolean allOrNothing() {
        return mode == null || ALL_OR_NOTHING.equals(mode);
    }
}
