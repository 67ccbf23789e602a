package org.rfaas.protocol;

/**
 * The shape of one executor: what a client asks for ({@link AllocationRequest#shape()}), what the
 * manager hands the executor ({@link ExecutorAssignment#shape()}) and what its workers run with.
 * Every field is range-checked here, and only here: the wire messages, the client's
 * {@code AllocationSpec} and the executor all build one of these, so a value that passed one of
 * them passes all of them.
 *
 * @param cores worker threads, 1..{@link Limits#MAX_CORES}
 * @param memoryMiB the executor JVM's heap, 1..2^30 MiB
 * @param hotTimeoutMicros how long a worker busy-polls after its last invocation before it sleeps,
 *     in microseconds: {@link #ALWAYS_HOT} (-1), {@link #ALWAYS_WARM} (0) or up to
 *     {@link Limits#MAX_HOT_TIMEOUT_MICROS}
 * @param slotsPerWorker invocations in flight per worker, 1..{@link Limits#MAX_SLOTS_PER_WORKER}
 * @param inputCapacity largest input in bytes, 0..{@link Limits#MAX_CAPACITY}
 * @param outputCapacity largest output in bytes, 0..{@link Limits#MAX_CAPACITY}
 */
public record ExecutorShape(int cores, long memoryMiB, long hotTimeoutMicros, int slotsPerWorker, int inputCapacity,
        int outputCapacity) {
    /** Hot timeout of workers that never sleep. */
    public static final long ALWAYS_HOT = -1;
    /** Hot timeout of workers that sleep right after each invocation. */
    public static final long ALWAYS_WARM = 0;
    /** Largest heap one executor may ask for. */
    public static final long MAX_MEMORY_MIB = 1L << 30;

    /** @throws IllegalArgumentException naming the first field out of range */
    public ExecutorShape {
        check(cores >= 1 && cores <= Limits.MAX_CORES, "cores " + cores + " is outside 1.." + Limits.MAX_CORES);
        check(memoryMiB >= 1 && memoryMiB <= MAX_MEMORY_MIB, "memory " + memoryMiB + " MiB is outside 1..2^30");
        requireHotTimeoutMicros(hotTimeoutMicros);
        check(slotsPerWorker >= 1 && slotsPerWorker <= Limits.MAX_SLOTS_PER_WORKER, "slots per worker "
                + slotsPerWorker + " is outside 1.." + Limits.MAX_SLOTS_PER_WORKER);
        check(inputCapacity >= 0 && inputCapacity <= Limits.MAX_CAPACITY, "input capacity " + inputCapacity
                + " is outside 0.." + Limits.MAX_CAPACITY);
        check(outputCapacity >= 0 && outputCapacity <= Limits.MAX_CAPACITY, "output capacity " + outputCapacity
                + " is outside 0.." + Limits.MAX_CAPACITY);
    }

    /**
     * Checks a hot timeout on its own (the client's {@code HotTimeout} holds one before there is a
     * shape); returns it.
     *
     * @throws IllegalArgumentException when it is not -1, 0 or 1..{@link Limits#MAX_HOT_TIMEOUT_MICROS}
     */
    public static long requireHotTimeoutMicros(long micros) {
        check(micros >= ALWAYS_HOT && micros <= Limits.MAX_HOT_TIMEOUT_MICROS, "hot timeout " + micros
                + " us is outside -1 (always hot), 0 (always warm) .. " + Limits.MAX_HOT_TIMEOUT_MICROS);
        return micros;
    }

    /**
     * The hot timeout in the unit of the worker's clock: -1 always hot, 0 always warm, else
     * nanoseconds.
     */
    public long hotTimeoutNanos() {
        return hotTimeoutMicros < 0 ? -1 : hotTimeoutMicros * 1000;
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
