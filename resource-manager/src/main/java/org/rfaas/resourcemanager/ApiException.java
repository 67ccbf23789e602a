package org.rfaas.resourcemanager;

import org.rfaas.rmclient.ApiError;

/** A refusal that becomes an HTTP error answer with an {@link ApiError} body. */
final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final String code;

    ApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, ApiError.BAD_REQUEST, message);
    }

    static ApiException unauthorized(String message) {
        return new ApiException(401, ApiError.UNAUTHORIZED, message);
    }

    static ApiException forbidden(String message) {
        return new ApiException(403, ApiError.FORBIDDEN, message);
    }

    static ApiException quotaExceeded(String message) {
        return new ApiException(409, ApiError.QUOTA_EXCEEDED, message);
    }

    static ApiException notFound(String message) {
        return new ApiException(404, ApiError.NOT_FOUND, message);
    }

    static ApiException noCapacity(String message) {
        return new ApiException(409, ApiError.NO_CAPACITY, message);
    }

    static ApiException conflict(String message) {
        return new ApiException(409, ApiError.CONFLICT, message);
    }

    static ApiException nodeRemoved(String message) {
        return new ApiException(410, ApiError.NODE_REMOVED, message);
    }

    static ApiException leaseEnded(String message) {
        return new ApiException(410, ApiError.LEASE_ENDED, message);
    }
}
