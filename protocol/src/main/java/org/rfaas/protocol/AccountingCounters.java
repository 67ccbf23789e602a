package org.rfaas.protocol;

/**
 * The 8-byte counters an executor manager registers on each executor's accounting connection;
 * the executor adds deltas to them with the transport's remote fetch-and-add.
 */
public final class AccountingCounters {
    private AccountingCounters() {
    }

    /** Nanoseconds spent inside function bodies. */
    public static final int COMPUTE_NANOS = 0;
    /** Nanoseconds spent busy-polling for work (hot and idle). */
    public static final int HOT_POLL_NANOS = 1;
    /** Invocations served (any status). */
    public static final int INVOCATIONS = 2;
    /** Invocations that ended with a status other than OK. */
    public static final int FAILED_INVOCATIONS = 3;
    /** Counters registered per connection. */
    public static final int COUNT = 4;
}
