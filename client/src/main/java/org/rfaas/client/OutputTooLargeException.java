package org.rfaas.client;

/** The function produced more output than the caller's output capacity. */
public final class OutputTooLargeException extends RfaasException {
    private static final long serialVersionUID = 1L;

    public OutputTooLargeException(String message) {
        super(message);
    }

    public OutputTooLargeException(String message, Throwable cause) {
        super(message, cause);
    }
}
