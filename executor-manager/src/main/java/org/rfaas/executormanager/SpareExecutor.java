package org.rfaas.executormanager;

import java.lang.foreign.MemorySegment;
import org.rfaas.protocol.ExecutorAssignment;
import org.rfaas.transport.Connection;

/**
 * An executor JVM started ahead of demand with a given heap size: it connects to the manager and
 * waits, so the next lease of that size skips the JVM's start-up. Guarded by its own lock.
 */
final class SpareExecutor {
    final long memoryMiB;
    final long secret;
    Process process;
    /** Set when its hello arrived. */
    Connection connection;
    MemorySegment buffer;
    /** Set when a lease took it; the assignment is sent as soon as the connection exists. */
    ManagedLease lease;
    ExecutorAssignment assignment;
    /** Evicted or the manager is closing: its JVM is stopped as soon as it exists. */
    boolean retired;

    SpareExecutor(long memoryMiB, long secret) {
        this.memoryMiB = memoryMiB;
        this.secret = secret;
    }
}
