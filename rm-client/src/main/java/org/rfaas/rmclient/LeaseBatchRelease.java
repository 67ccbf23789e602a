package org.rfaas.rmclient;

import java.util.List;

/**
 * Releases many leases in one round trip ({@code POST /v1/leases/release}), e.g. the leases of a
 * batch when its job ends. Each lease is named with its own token (or the call carries the admin
 * token, and the tokens may be empty).
 *
 * @param leases the leases, 1 to {@link LeaseBatchRequest#MAX_COUNT}, no id twice
 */
public record LeaseBatchRelease(List<Lease> leases) {
    /** One lease to release and the token that proves the caller holds it. */
    public record Lease(long leaseId, String token) {
        public Lease {
            if (leaseId <= 0) {
                throw new IllegalArgumentException("leaseId must be positive, got " + leaseId);
            }
            if (token != null && token.length() > 4096) {
                throw new IllegalArgumentException("token is longer than 4096 characters");
            }
        }
    }

    public LeaseBatchRelease {
        if (leases == null || leases.isEmpty() || leases.size() > LeaseBatchRequest.MAX_COUNT) {
            throw new IllegalArgumentException("leases must hold 1.." + LeaseBatchRequest.MAX_COUNT + " entries, got "
                    + (leases == null ? 0 : leases.size()));
        }
        leases = List.copyOf(leases);
        if (leases.stream().map(Lease::leaseId).distinct().count() != leases.size()) {
            throw new IllegalArgumentException("a lease is named twice");
        }
    }

    /** The release of every lease of {@code grants}, each with its token. */
    public static LeaseBatchRelease of(List<LeaseGrant> grants) {
        return new LeaseBatchRelease(grants.stream().map(g -> new Lease(g.leaseId(), g.token())).toList());
    }
}
