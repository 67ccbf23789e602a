package org.rfaas.rmclient;

/**
 * Body of a renewal: extend the lease to {@code now + durationMillis}.
 *
 * @param durationMillis new remaining duration; 0 for the default, cut to the maximum
 */
public record LeaseRenewal(long durationMillis) {
    public LeaseRenewal {
        Checks.nonNegative("durationMillis", durationMillis);
    }
}
