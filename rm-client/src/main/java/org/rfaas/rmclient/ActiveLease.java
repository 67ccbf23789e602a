package org.rfaas.rmclient;

/**
 * An active lease on the heartbeating node and its current expiry.
 *
 * @param leaseId the lease
 * @param expiresAtEpochMillis its expiry at the resource manager (renewals move it later)
 */
public record ActiveLease(long leaseId, long expiresAtEpochMillis) {
}
