package org.rfaas.client;

import java.time.Duration;
import java.util.Objects;
import org.rfaas.protocol.ExecutorShape;

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
        shape(cores, memoryMiB, hotTimeout, slotsPerWorker, inputCapacity, outputCapacity); // range checks
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

    /** The executor this spec asks for, as the allocation request carries it. */
    public ExecutorShape shape() {
        return shape(cores, memoryMiB, hotTimeout, slotsPerWorker, inputCapacity, outputCapacity);
    }

    private static ExecutorShape shape(int cores, long memoryMiB, HotTimeout hotTimeout, int slotsPerWorker,
            int inputCapacity, int outputCapacity) {
        return new ExecutorShape(cores, memoryMiB, hotTimeout.micros(), slotsPerWorker, inputCapacity, outputCapacity);
    }
}
