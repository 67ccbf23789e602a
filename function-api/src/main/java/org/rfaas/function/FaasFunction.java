package org.rfaas.function;

import java.lang.foreign.MemorySegment;

/**
 * A Java function served by an rFaaS executor.
 *
 * <p>The executor calls {@link #invoke} on a worker thread with the input as a read-only view of
 * the receive slot the client wrote into (zero copy) and the output as a view of the memory the
 * reply is sent from (the registered send buffer, or over shm the caller's result slot itself),
 * sized exactly to the caller's output capacity. Writing past {@code output} throws
 * {@link IndexOutOfBoundsException}, which reaches the caller as an "output too large" status.
 * Neither segment may be kept after {@code invoke} returns: the next invocation reuses them.
 *
 * <p>Implementations are listed in the package JAR under
 * {@code META-INF/services/org.rfaas.function.FaasFunction} and need a public no-argument
 * constructor. One instance serves all invocations on all worker threads of an executor, so an
 * implementation must be thread-safe (stateless is easiest). An exception thrown by
 * {@code invoke} fails that invocation only; its message reaches the caller.
 */
public interface FaasFunction {

    /**
     * The name clients invoke this function by; unique within its package, 1 to
     * {@value FunctionNames#MAX_LENGTH} ASCII characters from {@code [A-Za-z0-9_.-]}.
     */
    String name();

    /**
     * Runs the function.
     *
     * @param input the invocation's input, {@code input.byteSize()} bytes, read-only
     * @param output where the result goes; its size is the caller's output capacity
     * @return the number of bytes written at the start of {@code output}, 0 to
     *     {@code output.byteSize()}
     * @throws Exception any failure; the caller receives its message
     */
    int invoke(MemorySegment input, MemorySegment output) throws Exception;

    /**
     * Whether this function also runs in place ({@link #invokeInPlace}): its output may overwrite
     * its input. Read once, when the executor loads the package.
     */
    default boolean runsInPlace() {
        return false;
    }

    /**
     * The in-place form of {@link #invoke}, for functions whose output can overwrite their input
     * (an echo, a filter, a transform of a buffer). Over transports that send a reply from memory
     * of their own (tcp, libfabric) the executor calls this instead of {@code invoke} when
     * {@link #runsInPlace()} says so, and sends the output from the input's memory: no copy into a
     * send buffer. Over shared memory, where {@code invoke} writes straight into the caller's
     * result slot, it is not called. Both forms must give the same output.
     *
     * @param data the input's memory, writable: the input is its first {@code inputLength} bytes;
     *     the output goes at its start; its size is the most output this call accepts
     * @param inputLength bytes of input at the start of {@code data}
     * @return the number of output bytes at the start of {@code data}, 0 to {@code data.byteSize()}
     * @throws Exception any failure; the caller receives its message
     */
    default int invokeInPlace(MemorySegment data, int inputLength) throws Exception {
        throw new UnsupportedOperationException("function '" + name() + "' does not run in place");
    }
}
