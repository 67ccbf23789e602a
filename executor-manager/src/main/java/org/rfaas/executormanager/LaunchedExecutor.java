package org.rfaas.executormanager;

import java.lang.foreign.MemorySegment;
import java.security.SecureRandom;
import org.rfaas.protocol.ExecutorAssignment;
import org.rfaas.transport.Connection;

/**
 * An executor JVM this manager started: a spare, started ahead of demand with a given heap size,
 * or one forked for a lease. Either way it connects and says hello with its {@link #secret}, and
 * gets its lease in one {@link ExecutorAssignment}: a spare's is sent as soon as both the
 * connection and the lease are there; a forked one reads its own from a file at start
 * ({@link #staged}). Guarded by its own lock.
 */
final class LaunchedExecutor {
    private static final SecureRandom RANDOM = new SecureRandom();
    final long memoryMiB;
    final long secret;
    /** Started ahead of demand (it warms up while it waits), not forked for a lease. */
    final boolean spare;
    Process process;
    /** Set when its hello arrived. */
    Connection connection;
    MemorySegment buffer;
    /** Set when a lease took it; the assignment is sent as soon as the connection exists. */
    ManagedLease lease;
    ExecutorAssignment assignment;
    /**
     * Its assignment was written to a file it read at start ({@link ExecutorLauncher}), with the
     * paths as it sees them: it is not sent again.
     */
    boolean staged;
    /** Evicted or the manager is closing: its JVM is stopped as soon as it exists. */
    boolean retired;
    /** In the sandbox: its own directory (visible inside as /rfaas), its cgroup, its leased CPUs once assigned. */
    java.nio.file.Path sandboxDir;
    ExecutorCgroup cgroup;
    int[] cpus;
    /** The package a spare was told to preload, or {@code null} (set before its JVM starts). */
    volatile org.rfaas.protocol.PackageDigest preloaded;

    private LaunchedExecutor(long memoryMiB, boolean spare) {
        this.memoryMiB = memoryMiB;
        this.secret = RANDOM.nextLong();
        this.spare = spare;
    }

    /** A spare of this heap size, waiting for a lease. */
    static LaunchedExecutor spare(long memoryMiB) {
        return new LaunchedExecutor(memoryMiB, true);
    }

    /** The executor forked for {@code lease}, which it is assigned at once. */
    static LaunchedExecutor forLease(ManagedLease lease, ExecutorAssignment assignment) {
        LaunchedExecutor e = new LaunchedExecutor(assignment.shape().memoryMiB(), false);
        e.lease = lease;
        e.assignment = assignment;
        return e;
    }
}
