package org.rfaas.protocol;

/** Why a lease ended. Codes travel on the wire. */
public enum LeaseEndReason {
    /** The client released it. */
    RELEASED(1, Status.SHUTTING_DOWN),
    /** Its time ran out. */
    EXPIRED(2, Status.LEASE_EXPIRED),
    /** It was revoked (node reclaimed, operator). */
    REVOKED(3, Status.LEASE_REVOKED),
    /** The client's connection to the manager failed (the client died or went away). */
    CLIENT_LOST(4, Status.SHUTTING_DOWN),
    /** The executor process exited or was killed while the lease was active. */
    EXECUTOR_DIED(5, Status.SHUTTING_DOWN),
    /** The executor never became ready (bad package, spawn failure). */
    ALLOCATION_FAILED(6, Status.SHUTTING_DOWN),
    /** The executor manager itself is stopping. */
    MANAGER_SHUTDOWN(7, Status.SHUTTING_DOWN);

    private final int code;
    private final Status status;

    LeaseEndReason(int code, Status status) {
        this.code = code;
        this.status = status;
    }

    public int code() {
        return code;
    }

    /** The status clients see in the executor's shutdown notice. */
    public Status status() {
        return status;
    }

    /** The reason for a wire code, or {@code null}. */
    public static LeaseEndReason ofCode(int code) {
        for (LeaseEndReason r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        return null;
    }
}
