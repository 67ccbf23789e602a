package org.rfaas.examples;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import org.rfaas.function.FaasFunction;

/**
 * {@code fill}: writes as many bytes ({@code 'x'}) as the ASCII decimal input says. Asking for more
 * than the caller's output capacity shows the "output too large" status.
 */
public final class Fill implements FaasFunction {
    @Override
    public String name() {
        return "fill";
    }

    @Override
    public int invoke(MemorySegment input, MemorySegment output) {
        long n = Long.parseLong(new String(input.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII).trim());
        output.asSlice(0, n).fill((byte) 'x');
        return (int) n;
    }
}
