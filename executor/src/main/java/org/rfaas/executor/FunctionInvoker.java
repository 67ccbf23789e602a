package org.rfaas.executor;

import java.lang.foreign.MemorySegment;

/** One entry of a function table: how the worker calls a Java or native function. */
interface FunctionInvoker {

    /** The function's name. */
    String name();

    /**
     * Calls the function.
     *
     * @return the output length it reports (unchecked; the worker checks it against the capacity)
     */
    long invoke(MemorySegment input, MemorySegment output) throws Throwable;

    /** Whether {@link #invokeInPlace} may be called (the function's output may overwrite its input). */
    default boolean runsInPlace() {
        return false;
    }

    /**
     * Calls the function in place: the input is the first {@code inputLength} bytes of
     * {@code data}, the output goes at its start.
     *
     * @return the output length it reports (unchecked)
     */
    default long invokeInPlace(MemorySegment data, int inputLength) throws Throwable {
        throw new UnsupportedOperationException(name() + " does not run in place");
    }
}
