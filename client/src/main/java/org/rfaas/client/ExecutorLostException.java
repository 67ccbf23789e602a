package org.rfaas.client;

/** The executor process died or its connection failed; pending and further calls on it fail with this. */
public class ExecutorLostException extends RfaasException {
    private static final long serialVersionUID = 1L;

    public ExecutorLostException(String message) {
        super(message);
    }

    public ExecutorLostException(String message, Throwable cause) {
        super(message, cause);
    }
}
