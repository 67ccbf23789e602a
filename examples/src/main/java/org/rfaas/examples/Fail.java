package org.rfaas.examples;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import org.rfaas.function.FaasFunction;

/** {@code fail}: always throws {@link IllegalStateException} whose message contains the input text. */
public final class Fail implements FaasFunction {
    @Override
    public String name() {
        return "fail";
    }

    @Override
    public int invoke(MemorySegment input, MemorySegment output) {
        throw new IllegalStateException("fail was asked to fail: "
                + new String(input.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8));
    }
}
