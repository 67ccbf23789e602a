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
}
