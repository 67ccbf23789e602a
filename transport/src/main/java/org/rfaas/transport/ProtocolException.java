package org.rfaas.transport;

/** A peer sent a malformed message. {@link #error()} names the problem. */
public class ProtocolException extends TransportException {
    private static final long serialVersionUID = 1L;
    private final ProtocolError error;

    public ProtocolException(ProtocolError error, String message) {
        super(error + ": " + message);
        this.error = error;
    }

    /** What was wrong with the message. */
    public ProtocolError error() {
        return error;
    }
}
