package org.rfaas.executor;

import java.lang.foreign.MemorySegment;
import org.rfaas.function.FaasFunction;

/**
 * A function of the training package with no output ({@code noop}): a third function class, so
 * that the worker's call of a function is compiled as a call of any function, not of the training
 * package's echo (a lease's own function would deoptimize it at its first call). See
 * {@link TrainingEcho}.
 */
public final class TrainingNoop implements FaasFunction {
    /** Public, no arguments: a service provider. */
    public TrainingNoop() {
    }

    @Override
    public String name() {
        return "noop";
    }

    @Override
    public int invoke(MemorySegment input, MemorySegment output) {
        return 0;
    }
}
