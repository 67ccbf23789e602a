package org.rfaas.protocol;

/** Why an executor manager refused an allocation. Codes travel on the wire. */
public enum AllocationRefusal {
    /** Not refused. */
    NONE(0),
    /** The node has not enough free cores or memory for the request. */
    INSUFFICIENT_CAPACITY(1),
    /** The lease token is missing, malformed, forged or for another node. */
    INVALID_LEASE(2),
    /** The lease already expired. */
    LEASE_EXPIRED(3),
    /** The request asks for more than the lease grants, or a field is out of range. */
    BAD_REQUEST(4),
    /** The package cannot be loaded (not a JAR of functions, missing symbol, ...). */
    BAD_PACKAGE(5),
    /** The executor process could not be started or died during start-up. */
    SPAWN_FAILED(6),
    /** The executor manager is shutting down or its node was reclaimed. */
    SHUTTING_DOWN(7);

    private final int code;

    AllocationRefusal(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The refusal for a wire code, or {@code null}. */
    public static AllocationRefusal ofCode(int code) {
        for (AllocationRefusal r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        return null;
    }
}
