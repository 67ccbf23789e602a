package org.rfaas.apps.jacobi;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One Jacobi sweep of the 2-D Laplace equation on a block of rows: for every interior point,
 * {@code new = 0.25 * (((up + down) + left) + right)}; the first and last column are fixed
 * (copied). The same operations as {@code jacobi_rows} in {@code apps_kernels.c}. Shipped inside
 * the function JAR (JDK only).
 */
public final class JacobiKernel {
    private JacobiKernel() {
    }

    private static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    /**
     * Updates {@code rows} rows. {@code src} at byte {@code srcOff} holds {@code rows + 2} rows of
     * {@code cols} doubles (the halo row above, the rows, the halo row below); {@code dst} at
     * {@code dstOff} receives the {@code rows} new rows.
     */
    public static void sweep(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int rows, int cols) {
        long rowBytes = 8L * cols;
        for (int i = 0; i < rows; i++) {
            long up = srcOff + rowBytes * i;
            long mid = up + rowBytes;
            long down = mid + rowBytes;
            long out = dstOff + rowBytes * i;
            dst.set(D, out, src.get(D, mid));
            for (int j = 1; j < cols - 1; j++) {
                long o = 8L * j;
                double s = src.get(D, up + o) + src.get(D, down + o);
                s = s + src.get(D, mid + o - 8);
                s = s + src.get(D, mid + o + 8);
                dst.set(D, out + o, 0.25 * s);
            }
            dst.set(D, out + rowBytes - 8, src.get(D, mid + rowBytes - 8));
        }
    }

    /** Bytes of the function's input header: int32 rows, int32 cols. */
    public static final int HEADER = 8;
}
