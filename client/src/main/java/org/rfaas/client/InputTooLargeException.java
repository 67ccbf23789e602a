package org.rfaas.client;

/** The input is larger than the input capacity given at allocation. */
public final class InputTooLargeException extends RfaasException {
    private static final long serialVersionUID = 1L;

    public InputTooLargeException(String message) {
        super(message);
    }

    public InputTooLargeException(String message, Throwable cause) {
        super(message, cause);
    }
}
