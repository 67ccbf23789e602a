package org.rfaas.client;

/**
 * The executor went over its lease's memory (heap, direct and native memory together, see
 * docs/sandbox.md) and was ended by the node; the lease is over, its bill kept. Pending and further
 * calls on it fail with this. A subclass of {@link ExecutorLostException}: code that handles a lost
 * executor handles this too.
 */
public final class MemoryLimitExceededException extends ExecutorLostException {
    private static final long serialVersionUID = 1L;

    /** How the executor manager's lease-end message starts for such an executor. */
    static final String MANAGER_DETAIL = "memory limit exceeded";

    public MemoryLimitExceededException(String message) {
        super(message);
    }
}
