package org.rfaas.client;

/** No executor could be allocated: the manager refused (capacity, lease, package) or none fits. */
public final class AllocationRefusedException extends RfaasException {
    private static final long serialVersionUID = 1L;

    public AllocationRefusedException(String message) {
        super(message);
    }

    public AllocationRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
