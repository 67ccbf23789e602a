package org.rfaas.examples;

import java.lang.foreign.MemorySegment;
import org.rfaas.function.FaasFunction;

/** {@code noop}: ignores its input, returns nothing. Measures pure invocation overhead. */
public final class NoOp implements FaasFunction {
    @Override
    public String name() {
        return "noop";
    }

    @Override
    public int invoke(MemorySegment input, MemorySegment output) {
        return 0;
    }
}
