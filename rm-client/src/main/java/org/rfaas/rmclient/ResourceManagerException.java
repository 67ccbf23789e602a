package org.rfaas.rmclient;

/**
 * The resource manager refused a request or could not be reached. {@link #status()} is the HTTP
 * status (0 when no answer arrived) and {@link #code()} the machine-readable error code of
 * {@link ApiError}.
 */
public class ResourceManagerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;

    public ResourceManagerException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public ResourceManagerException(String message, Throwable cause) {
        super(message, cause);
        this.status = 0;
        this.code = ApiError.UNREACHABLE;
    }

    /**
     * The exception an error answer stands for: {@link LeaseRefusedException} for a lease that
     * does not fit (capacity or quota), {@link LeaseRevokedException} for an ended lease.
     */
    public static ResourceManagerException of(int status, String code, String message) {
        return switch (code) {
            case ApiError.NO_CAPACITY, ApiError.QUOTA_EXCEEDED -> new LeaseRefusedException(status, message);
            case ApiError.LEASE_ENDED -> new LeaseRevokedException(status, message);
            default -> new ResourceManagerException(status, code, message);
        };
    }

    /** HTTP status of the answer, or 0 when the resource manager did not answer. */
    public int status() {
        return status;
    }

    /** Error code, one of the constants in {@link ApiError}. */
    public String code() {
        return code;
    }
}
