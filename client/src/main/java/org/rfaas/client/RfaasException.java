package org.rfaas.client;

/** Base of every failure the client library reports. Unchecked, like the JDK's FFM and NIO errors. */
public class RfaasException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RfaasException(String message) {
        super(message);
    }

    public RfaasException(String message, Throwable cause) {
        super(message, cause);
    }
}
