package org.rfaas.rmclient;

/**
 * A lease as the resource manager records it.
 *
 * @param state {@code ACTIVE}, {@code RELEASED}, {@code EXPIRED} or {@code REVOKED}
 * @param endedAtEpochMillis when the lease ended, 0 while active
 * @param endReason why it ended (e.g. "node n1 drained"), empty while active
 */
public record LeaseInfo(long leaseId, String tenant, String node, int cores, long memoryMiB, String state,
        long createdAtEpochMillis, long expiresAtEpochMillis, long endedAtEpochMillis, String endReason) {

    /** Whether the lease still holds capacity. */
    public boolean active() {
        return "ACTIVE".equals(state);
    }
}
