package org.rfaas.protocol;

/**
 * The 8-byte counters an executor manager registers on each executor's accounting connection;
 * the executor adds deltas to them with the transport's remote fetch-and-add.
 *
 * <p>The invocation count is written last and read first (in {@link #readOrder}), at the worker
 * and over the wire alike, so that a reader that sees an invocation also sees its failure and
 * compute time.
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

    private static final int[] READ_ORDER = {INVOCATIONS, FAILED_INVOCATIONS, COMPUTE_NANOS, HOT_POLL_NANOS};

    /** The counter to read at {@code position} (0 to {@link #COUNT} - 1): the invocation count first. */
    public static int readOrder(int position) {
        return READ_ORDER[position];
    }
}
