package org.rfaas.rmclient;

/**
 * A lease on the heartbeating node that has ended; its executor must be stopped.
 *
 * @param leaseId the lease
 * @param state {@code RELEASED}, {@code EXPIRED} or {@code REVOKED}
 * @param reason why, for the log
 */
public record EndedLease(long leaseId, String state, String reason) {
}
