package org.rfaas.executor;

import java.lang.foreign.MemorySegment;
import org.rfaas.function.FaasFunction;

/**
 * A function of the training package that runs in place ({@code echo-in-place}): with it the
 * training and a spare's rehearsal also take the worker's in-place reply path, which a lease's
 * in-place function would otherwise deoptimize into at its first call. See {@link TrainingEcho}.
 */
public final class TrainingEchoInPlace implements FaasFunction {
    /** Public, no arguments: a service provider. */
    public TrainingEchoInPlace() {
    }

    @Override
    public String name() {
        return "echo-in-place";
    }

    @Override
    public int invoke(MemorySegment input, MemorySegment output) {
        MemorySegment.copy(input, 0, output, 0, input.byteSize());
        return (int) input.byteSize();
    }

    @Override
    public boolean runsInPlace() {
        return true;
    }

    @Override
    public int invokeInPlace(MemorySegment data, int inputLength) {
        return inputLength;
    }
}
