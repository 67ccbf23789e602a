package org.rfaas.rmclient;

/** No node can host the requested lease right now (HTTP 409); the message says why. */
public final class LeaseRefusedException extends ResourceManagerException {
    private static final long serialVersionUID = 1L;

    public LeaseRefusedException(int status, String message) {
        super(status, ApiError.NO_CAPACITY, message);
    }
}
