package org.rfaas.examples;

import java.lang.foreign.MemorySegment;
import org.rfaas.function.FaasFunction;

/** {@code echo}: returns its input. The no-op round trip with payload. */
public final class Echo implements FaasFunction {
    @Override
    public String name() {
        return "echo";
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

    /** In place the input is already the output: nothing to copy. */
    @Override
    public int invokeInPlace(MemorySegment data, int inputLength) {
        return inputLength;
    }
}
