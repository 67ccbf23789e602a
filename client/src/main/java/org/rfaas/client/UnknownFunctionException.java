package org.rfaas.client;

/** The function name (or index) is not in the executor's function table. */
public final class UnknownFunctionException extends RfaasException {
    private static final long serialVersionUID = 1L;

    public UnknownFunctionException(String message) {
        super(message);
    }

    public UnknownFunctionException(String message, Throwable cause) {
        super(message, cause);
    }
}
