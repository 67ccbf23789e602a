package org.rfaas.client;

/** The lease ran out of time; the executor stopped serving. */
public final class LeaseExpiredException extends RfaasException {
    private static final long serialVersionUID = 1L;

    public LeaseExpiredException(String message) {
        super(message);
    }

    public LeaseExpiredException(String message, Throwable cause) {
        super(message, cause);
    }
}
