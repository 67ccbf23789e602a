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
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LeaseRequest(int cores, long memoryMiB, long durationMillis, String tenant, String placement) {
    public LeaseRequest {
        Checks.positive("cores", cores);
        Checks.positive("memoryMiB", memoryMiB);
        Checks.nonNegative("durationMillis", durationMillis);
        Checks.name("tenant", tenant);
        Checks.placement(placement);
    }

    /** A request placed by the resource manager's configured policy. */
    public LeaseRequest(int cores, long memoryMiB, long durationMillis, String tenant) {
        this(cores, memoryMiB, durationMillis, tenant, null);
    }
}
