package org.rfaas.rmclient;

/**
 * A client's request for a lease.
 *
 * @param cores cores (executor worker threads) wanted on one node
 * @param memoryMiB memory wanted, in MiB
 * @param durationMillis lease duration; 0 asks for the resource manager's default, more than its
 *     maximum is cut to the maximum
 * @param tenant who is billed for the lease
 */
public record LeaseRequest(int cores, long memoryMiB, long durationMillis, String tenant) {
    public LeaseRequest {
        Checks.positive("cores", cores);
        Checks.positive("memoryMiB", memoryMiB);
        Checks.nonNegative("durationMillis", durationMillis);
        Checks.name("tenant", tenant);
    }
}
