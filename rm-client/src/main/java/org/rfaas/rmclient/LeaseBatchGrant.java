package org.rfaas.rmclient;

import java.util.List;

/**
 * The answer to a {@link LeaseBatchRequest}: the leases granted, in placement order.
 *
 * @param requested how many leases were asked for
 * @param leases the grants; as many as requested, or fewer (at least one) for a best-effort batch
 */
public record LeaseBatchGrant(int requested, List<LeaseGrant> leases) {
    public LeaseBatchGrant {
        leases = List.copyOf(leases);
    }
}
