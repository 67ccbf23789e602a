package org.rfaas.client;

import java.time.Duration;
import java.util.Objects;
import org.rfaas.protocol.Limits;

/**
 * What to allocate: cores and memory for how long, the hot timeout, the function package, and the
 * largest input and output of one invocation (buffers are registered once, at these sizes).
 *
 * @param cores worker threads on the executor (one connection each)
 * @param memoryMiB memory of the executor process (its heap limit)
 * @param hotTimeout busy-polling time after each invocation ({@link HotTimeout#ALWAYS_HOT},
 *     {@link HotTimeout#ALWAYS_WARM} or microseconds)
 * @param functionPackage the code to ship
 * @param inputCapacity largest input in bytes
 * @param outputCapacity largest output in bytes
 * @param slotsPerWorker invocations that may be in flight per worker (at least 2 pipelines)
 * @param leaseDuration how long the lease should last; {@link Duration#ZERO} for the node default
 */
public record AllocationSpec(int cores, long memoryMiB, HotTimeout hotTimeout, FunctionPackage functionPackage,
        int inputCapacity, int outputCapacity, int slotsPerWorker, Duration leaseDuration) {

    /** Default in-flight invocations per worker. */
    public static final int DEFAULT_SLOTS_PER_WORKER = 2;

    public AllocationSpec {
        Objects.requireNonNull(hotTimeout, "hotTimeout");
        Objects.requireNonNull(functionPackage, "functionPackage");
        Objects.requireNonNull(leaseDuration, "leaseDuration");
        if (cores < 1 || cores > Limits.MAX_CORES) {
            throw new IllegalArgumentException("cores must be 1.." + Limits.MAX_CORES + ", got " + cores);
        }
        if (memoryMiB < 1) {
            throw new IllegalArgumentException("memoryMiB must be positive, got " + memoryMiB);
        }
        if (inputCapacity < 0 || inputCapacity > Limits.MAX_CAPACITY || outputCapacity < 0
                || outputCapacity > Limits.MAX_CAPACITY) {
            throw new IllegalArgumentException("input and output capacity must be 0.." + Limits.MAX_CAPACITY);
        }
        if (slotsPerWorker < 1 || slotsPerWorker > Limits.MAX_SLOTS_PER_WORKER) {
            throw new IllegalArgumentException("slotsPerWorker must be 1.." + Limits.MAX_SLOTS_PER_WORKER);
        }
        if (leaseDuration.isNegative()) {
            throw new IllegalArgumentException("leaseDuration must not be negative");
        }
    }

    /**
     * A spec with {@value #DEFAULT_SLOTS_PER_WORKER} slots per worker and the node's default lease
     * duration.
     */
    public static AllocationSpec of(int cores, long memoryMiB, HotTimeout hotTimeout, FunctionPackage functionPackage,
            int inputCapacity, int outputCapacity) {
        return new AllocationSpec(cores, memoryMiB, hotTimeout, functionPackage, inputCapacity, outputCapacity,
                DEFAULT_SLOTS_PER_WORKER, Duration.ZERO);
    }

    /** This spec with another number of in-flight slots per worker. */
    public AllocationSpec withSlotsPerWorker(int slots) {
        return new AllocationSpec(cores, memoryMiB, hotTimeout, functionPackage, inputCapacity, outputCapacity, slots,
                leaseDuration);
    }

    /** This spec with another number of cores (one lease of an {@link ExecutorGroup}). */
    public AllocationSpec withCores(int cores) {
        return new AllocationSpec(cores, memoryMiB, hotTimeout, functionPackage, inputCapacity, outputCapacity,
                slotsPerWorker, leaseDuration);
    }

    /** This spec with another lease duration. */
    public AllocationSpec withLeaseDuration(Duration duration) {
        return new AllocationSpec(cores, memoryMiB, hotTimeout, functionPackage, inputCapacity, outputCapacity,
                slotsPerWorker, duration);
    }
}
