package org.rfaas.transport;

/** The peer closed the connection, or died, or stopped answering. */
public class PeerFailedException extends TransportException {
    private static final long serialVersionUID = 1L;

    public PeerFailedException(String message) {
        super(message);
    }

    public PeerFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
