package org.rfaas.protocol;

/**
 * The outcome of an invocation, carried in every {@link ReplyHeader}. Codes are stable: they
 * travel on the wire. Every status but {@link #OK} may carry a UTF-8 message as the reply payload.
 */
public enum Status {
    /** The function ran; the payload is its output. */
    OK(0),
    /** No function has that index in this executor's function table. */
    UNKNOWN_FUNCTION(1),
    /** The input is larger than the executor's receive slots. */
    INPUT_TOO_LARGE(2),
    /** The function wrote or returned more than the caller's output capacity. */
    OUTPUT_TOO_LARGE(3),
    /** The function threw (or a native function crashed the call); the payload is the message. */
    FUNCTION_FAILED(4),
    /** The executor is stopping (released, or its manager is shutting down). */
    SHUTTING_DOWN(5),
    /** The lease ran out of time. */
    LEASE_EXPIRED(6),
    /** The lease was revoked (node reclaimed by the batch system, or by an operator). */
    LEASE_REVOKED(7),
    /** The invocation message was malformed; the payload names the problem. */
    PROTOCOL_ERROR(8);

    private static final Status[] BY_CODE = values();

    private final int code;

    Status(int code) {
        this.code = code;
    }

    /** The wire code. */
    public int code() {
        return code;
    }

    /** The status for a wire code, or {@code null} when the code is unknown. */
    public static Status ofCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
