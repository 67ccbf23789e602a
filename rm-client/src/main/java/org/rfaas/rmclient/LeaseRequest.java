package org.rfaas.rmclient;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A client's request for a lease.
 *
 * @param cores cores (executor worker threads) wanted on one node
 * @param memoryMiB memory wanted, in MiB
 * @param durationMillis lease duration; 0 asks for the resource manager's default, more than its
 *     maximum is cut to the maximum
 * @param tenant who is billed for the lease
 * @param placement optional: {@code first-fit}, {@code least-loaded}, {@code pack} (fill partly used
 *     nodes first) or {@code spread} (the emptiest node); absent, the resource manager's configured policy
 * @param requestId optional: the caller's id of this request (letters, digits, {@code - _ . @ :}, at most
 *     128). While the lease it got is active, the same id from the same tenant is answered with that
 *     lease again instead of a new one, so a grant retried after a lost answer (e.g. on a standby
 *     after a failover) is not granted twice. {@link ResourceManagerClient#requestLease} sets one.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LeaseRequest(int cores, long memoryMiB, long durationMillis, String tenant, String placement,
        String requestId) {
    public LeaseRequest {
        Checks.positive("cores", cores);
        Checks.positive("memoryMiB", memoryMiB);
        Checks.nonNegative("durationMillis", durationMillis);
        Checks.name("tenant", tenant);
        Checks.placement(placement);
        if (requestId != null) {
            Checks.name("requestId", requestId);
        }
    }

    /** A request without a request id. */
    public LeaseRequest(int cores, long memoryMiB, long durationMillis, String tenant, String placement) {
        this(cores, memoryMiB, durationMillis, tenant, placement, null);
    }

    /** The same request carrying {@code id} as its request id. */
    public LeaseRequest withRequestId(String id) {
        return new LeaseRequest(cores, memoryMiB, durationMillis, tenant, placement, id);
    }

    /** A request placed by the resource manager's configured policy. */
    public LeaseRequest(int cores, long memoryMiB, long durationMillis, String tenant) {
        this(cores, memoryMiB, durationMillis, tenant, null);
    }
}
