package org.rfaas.client;

/** The executor is shutting down (released, or its manager is stopping). */
public final class ExecutorShutdownException extends RfaasException {
    private static final long serialVersionUID = 1L;

    public ExecutorShutdownException(String message) {
        super(message);
    }

    public ExecutorShutdownException(String message, Throwable cause) {
        super(message, cause);
    }
}
