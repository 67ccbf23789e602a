package org.rfaas.apps.common;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * The native kernels of {@code libapps_kernels.so}, called in-process through FFM: a rank that
 * runs with {@code --kernel native} computes its local share with the very code its executors run.
 */
public final class NativeKernels {
    private final MethodHandle blackscholes;
    private final MethodHandle matmul;
    private final MethodHandle jacobi;

    /** Loads the library (kept loaded for the life of the process). */
    public NativeKernels(Path library) {
        Linker linker = Linker.nativeLinker();
        SymbolLookup lib = SymbolLookup.libraryLookup(library, Arena.global());
        ValueLayout a = ValueLayout.ADDRESS;
        ValueLayout.OfInt i = ValueLayout.JAVA_INT;
        blackscholes = linker.downcallHandle(lib.find("blackscholes_rows").orElseThrow(), FunctionDescriptor.ofVoid(a, i, a));
        matmul = linker.downcallHandle(lib.find("matmul_rows").orElseThrow(), FunctionDescriptor.ofVoid(a, a, a, i, i));
        jacobi = linker.downcallHandle(lib.find("jacobi_rows").orElseThrow(), FunctionDescriptor.ofVoid(a, a, i, i));
    }

    /** Prices {@code n} option records into {@code n} doubles. */
    public void blackscholes(MemorySegment records, int n, MemorySegment prices) {
        call(() -> {
            blackscholes.invokeExact(records, n, prices);
        });
    }

    /** {@code C[rows x n] = A[rows x n] * B[n x n]}. */
    public void matmul(MemorySegment a, MemorySegment b, MemorySegment c, int rows, int n) {
        call(() -> {
            matmul.invokeExact(a, b, c, rows, n);
        });
    }

    /** One Jacobi sweep of {@code rows} rows ({@code src} has a halo row above and below). */
    public void jacobi(MemorySegment src, MemorySegment dst, int rows, int cols) {
        call(() -> {
            jacobi.invokeExact(src, dst, rows, cols);
        });
    }

    private interface NativeCall {
        void run() throws Throwable;
    }

    private static void call(NativeCall c) {
        try {
            c.run();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
