package org.rfaas.apps.jacobi;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.rfaas.function.FaasFunction;

/**
 * rFaaS function {@code jacobi}: input = {@code int32 rows, int32 cols}, then {@code rows + 2}
 * rows of doubles (halo above, rows, halo below); output = the {@code rows} updated rows followed
 * by the compute time in nanoseconds (long).
 */
public final class JacobiFunction implements FaasFunction {
    @Override
    public String name() {
        return "jacobi";
    }

    @Override
    public int invoke(MemorySegment input, MemorySegment output) {
        long t0 = System.nanoTime();
        int rows = input.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
        int cols = input.get(ValueLayout.JAVA_INT_UNALIGNED, 4);
        long need = JacobiKernel.HEADER + 8L * (rows + 2) * cols;
        if (rows < 0 || cols < 2 || input.byteSize() != need) {
            throw new IllegalArgumentException("jacobi input of " + input.byteSize() + " B does not match rows=" + rows
                    + " cols=" + cols + " (" + need + " B)");
        }
        JacobiKernel.sweep(input, JacobiKernel.HEADER, output, 0, rows, cols);
        long out = 8L * rows * cols;
        output.set(ValueLayout.JAVA_LONG_UNALIGNED, out, System.nanoTime() - t0);
        return (int) out + 8;
    }
}
