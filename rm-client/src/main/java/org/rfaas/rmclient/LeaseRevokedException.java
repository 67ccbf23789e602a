package org.rfaas.rmclient;

/**
 * The lease has ended (revoked by a drain, removal or node failure, expired, or released) and can
 * no longer be renewed or used (HTTP 410). The message names the lease and the reason.
 */
public final class LeaseRevokedException extends ResourceManagerException {
    private static final long serialVersionUID = 1L;

    public LeaseRevokedException(int status, String message) {
        super(status, ApiError.LEASE_ENDED, message);
    }
}
