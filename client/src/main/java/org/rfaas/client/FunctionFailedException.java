package org.rfaas.client;

/** The remote function threw (or a native function failed); {@link #remoteMessage()} is the exception's text as the executor reported it. */
public final class FunctionFailedException extends RfaasException {
    private static final long serialVersionUID = 1L;
    private final String remoteMessage;

    public FunctionFailedException(String message, String remoteMessage) {
        super(message);
        this.remoteMessage = remoteMessage;
    }

    /** The exception text the executor sent, e.g. {@code java.lang.IllegalStateException: boom}. */
    public String remoteMessage() {
        return remoteMessage;
    }
}
