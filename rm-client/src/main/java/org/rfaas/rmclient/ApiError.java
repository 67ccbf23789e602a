package org.rfaas.rmclient;

/**
 * The JSON body of every error answer of the resource manager's HTTP API.
 *
 * @param status HTTP status, repeated for scripts that only see the body
 * @param code one of the constants below
 * @param message what went wrong, for a human
 */
public record ApiError(int status, String code, String message) {
    /** Malformed JSON or an invalid value (400). */
    public static final String BAD_REQUEST = "BAD_REQUEST";
    /** Missing or wrong bearer token (401). */
    public static final String UNAUTHORIZED = "UNAUTHORIZED";
    /** Unknown node or lease (404). */
    public static final String NOT_FOUND = "NOT_FOUND";
    /** No node has the free capacity for a lease (409). */
    public static final String NO_CAPACITY = "NO_CAPACITY";
    /** The tenant's quota (cores or memory over its active leases) does not allow the lease (409). */
    public static final String QUOTA_EXCEEDED = "QUOTA_EXCEEDED";
    /** The credential is valid but not for this (e.g. an API key used for another tenant) (403). */
    public static final String FORBIDDEN = "FORBIDDEN";
    /** The lease was revoked, expired or released (410). */
    public static final String LEASE_ENDED = "LEASE_ENDED";
    /**
     * Heartbeat of a node an administrator removed (410): its executor manager must stop serving
     * leases; registering again (a deliberate restart) makes it rejoin.
     */
    public static final String NODE_REMOVED = "NODE_REMOVED";
    /** The request conflicts with the current state, e.g. a duplicate billing report (409). */
    public static final String CONFLICT = "CONFLICT";
    /** A bug or a database failure in the resource manager (500). */
    public static final String INTERNAL = "INTERNAL";
    /** 503: the server is at a limit (e.g. event subscribers); retry later. */
    public static final String UNAVAILABLE = "UNAVAILABLE";
    /** Client side only: the resource manager did not answer. */
    public static final String UNREACHABLE = "UNREACHABLE";
}
