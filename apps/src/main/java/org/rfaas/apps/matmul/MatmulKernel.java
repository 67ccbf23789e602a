package org.rfaas.apps.matmul;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Row-block matrix product {@code C[rows x n] = A[rows x n] * B[n x n]}, row-major doubles, in
 * i-k-j order: each {@code C[i][j]} accumulates {@code A[i][k] * B[k][j]} for k = 0..n-1 in
 * order, the same sequence of roundings as {@code matmul_rows} in {@code apps_kernels.c}. Shipped
 * inside the function JAR (JDK only).
 */
public final class MatmulKernel {
    private MatmulKernel() {
    }

    private static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    /** Computes {@code rows} rows of C; byte offsets into each segment. */
    public static void multiply(MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment c, long cOff,
            int rows, int n) {
        double[] acc = new double[n];
        for (int i = 0; i < rows; i++) {
            java.util.Arrays.fill(acc, 0.0);
            long rowA = aOff + 8L * i * n;
            for (int k = 0; k < n; k++) {
                double aik = a.get(D, rowA + 8L * k);
                long rowB = bOff + 8L * k * n;
                for (int j = 0; j < n; j++) {
                    acc[j] += aik * b.get(D, rowB + 8L * j);
                }
            }
            MemorySegment.copy(acc, 0, c, D, cOff + 8L * i * n, n);
        }
    }

    /** Bytes of the function's input header: int32 n, int32 rows. */
    public static final int HEADER = 8;
}
