package org.rfaas.executor;

/** A function package cannot be loaded; the message says what is wrong with it. */
public final class FunctionLoadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FunctionLoadException(String message) {
        super(message);
    }

    public FunctionLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
