package org.rfaas.examples;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.rfaas.function.FaasFunction;

/**
 * {@code sum-squares}: a compute example. Input: little-endian 64-bit integers; output: one
 * little-endian 64-bit integer, the (wrapping) sum of their squares. Reads the receive slot in
 * place, no copy.
 */
public final class SumSquares implements FaasFunction {
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public String name() {
        return "sum-squares";
    }

    @Override
    public int invoke(MemorySegment input, MemorySegment output) {
        long n = input.byteSize() / 8;
        long sum = 0;
        for (long i = 0; i < n; i++) {
            long v = input.get(LE_LONG, i * 8);
            sum += v * v;
        }
        output.set(LE_LONG, 0, sum);
        return 8;
    }
}
