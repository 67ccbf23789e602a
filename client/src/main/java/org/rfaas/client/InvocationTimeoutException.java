package org.rfaas.client;

/**
 * A call's deadline passed before its reply arrived. The executor may still run the call; its
 * late reply is discarded and the in-flight slot is reused after it.
 */
public final class InvocationTimeoutException extends RfaasException {
    private static final long serialVersionUID = 1L;

    public InvocationTimeoutException(String message) {
        super(message);
    }
}
