package org.rfaas.protocol.lease;

/** A lease token was refused. {@link #reason()} says why. */
public final class InvalidLeaseTokenException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why a token was refused. */
    public enum Reason { MALFORMED, BAD_SIGNATURE, EXPIRED }

    private final Reason reason;

    public InvalidLeaseTokenException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
