package org.rfaas.client;

/** The lease was revoked (the node was reclaimed by the batch system or an operator). */
public final class LeaseRevokedException extends RfaasException {
    private static final long serialVersionUID = 1L;

    public LeaseRevokedException(String message) {
        super(message);
    }

    public LeaseRevokedException(String message, Throwable cause) {
        super(message, cause);
    }
}
