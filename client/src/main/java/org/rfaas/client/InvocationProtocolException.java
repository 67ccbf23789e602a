package org.rfaas.client;

/** A peer sent a malformed message or reported a protocol error; the connection is unusable. */
public final class InvocationProtocolException extends RfaasException {
    private static final long serialVersionUID = 1L;

    public InvocationProtocolException(String message) {
        super(message);
    }

    public InvocationProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
