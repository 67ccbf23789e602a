package org.rfaas.apps.matmul;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.rfaas.function.FaasFunction;

/**
 * rFaaS function {@code matmul}: input = {@code int32 n, int32 rows, B[n x n], A[rows x n]}
 * (little-endian, doubles row-major), output = {@code C[rows x n]} followed by the compute time in
 * nanoseconds (long).
 */
public final class MatmulFunction implements FaasFunction {
    @Override
    public String name() {
        return "matmul";
    }

    @Override
    public int invoke(MemorySegment input, MemorySegment output) {
        long t0 = System.nanoTime();
        int n = input.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
        int rows = input.get(ValueLayout.JAVA_INT_UNALIGNED, 4);
        long need = MatmulKernel.HEADER + 8L * n * n + 8L * rows * n;
        if (n <= 0 || rows < 0 || input.byteSize() != need) {
            throw new IllegalArgumentException("matmul input of " + input.byteSize() + " B does not match n=" + n
                    + " rows=" + rows + " (" + need + " B)");
        }
        long bOff = MatmulKernel.HEADER;
        MatmulKernel.multiply(input, bOff + 8L * n * n, input, bOff, output, 0, rows, n);
        long out = 8L * rows * n;
        output.set(ValueLayout.JAVA_LONG_UNALIGNED, out, System.nanoTime() - t0);
        return (int) out + 8;
    }
}
