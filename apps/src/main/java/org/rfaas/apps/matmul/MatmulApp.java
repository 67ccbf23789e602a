package org.rfaas.apps.matmul;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.rfaas.apps.common.AppRun;
import org.rfaas.apps.common.OffloadStats;
import org.rfaas.apps.common.Offloader;
import org.rfaas.mpi.Mpi;

/**
 * Matrix-matrix multiply {@code C = A * B} (n x n doubles) as in the original rFaaS MPI example:
 * rank 0 scatters the rows of A and broadcasts B; each rank sends the first {@code offload}
 * fraction of its rows to its executors and multiplies the rest itself; C is gathered on rank 0.
 *
 * <pre>
 * mpirun -np 2 java --enable-native-access=ALL-UNNAMED -cp CP org.rfaas.apps.matmul.MatmulApp \
 *     --executors db.json | --resource-manager URL  --offload 0.5 [--n 256] [--seed 1] [--cores 1]
 *     [--kernel java|native] [--repeat 1] [--check] [--out c.bin]
 * </pre>
 *
 * B travels with every call (input = n, rows, B, rows of A): functions stay stateless, so any
 * worker of any executor can serve any call, and the offloaded rows are split into one call per
 * leased core, so B crosses the wire once per core per multiplication (8 n^2 bytes; for n = 256,
 * 512 KiB against the 2 n^3 flops of the whole product). {@code --repeat R} multiplies R times
 * and reports the last round (the earlier ones warm up the JIT compilers).
 */
public final class MatmulApp {
    private MatmulApp() {
    }

    /** Entry point; see the class comment. */
    public static void main(String[] argv) {
        AppRun.main("matmul", () -> run(argv));
    }

    private static void run(String[] argv) {
        try (AppRun app = AppRun.start("matmul", argv); Arena arena = Arena.ofShared()) {
            int n = app.args.integer("n", 256);
            long seed = (long) app.args.number("seed", 1);
            int[] rowCounts = AppRun.blockCounts(n, app.size);
            int[] counts = new int[app.size];
            for (int r = 0; r < app.size; r++) {
                counts[r] = rowCounts[r] * n;
            }
            int[] displs = AppRun.displacements(counts);
            int mine = rowCounts[app.rank];

            MemorySegment b = arena.allocate(8L * n * n, 8);
            MemorySegment a = app.rank == 0 ? arena.allocate(8L * n * n, 8) : MemorySegment.NULL;
            if (app.rank == 0) {
                SplittableRandom random = new SplittableRandom(seed);
                for (long i = 0; i < (long) n * n; i++) {
                    a.setAtIndex(ValueLayout.JAVA_DOUBLE, i, random.nextDouble() * 2 - 1);
                    b.setAtIndex(ValueLayout.JAVA_DOUBLE, i, random.nextDouble() * 2 - 1);
                }
            }
            Mpi.bcast(b, n * n, Mpi.Datatype.DOUBLE, 0);
            MemorySegment aRows = arena.allocate(Math.max(8, 8L * mine * n), 8);
            Mpi.scatterv(a, counts, displs, aRows, mine * n, Mpi.Datatype.DOUBLE, 0);
            MemorySegment c = arena.allocate(Math.max(8, 8L * mine * n), 8);

            int offloaded = (int) Math.round(mine * app.offload);
            int cores = app.args.integer("cores", 1);
            int perCall = Math.max(1, (offloaded + cores - 1) / cores);
            long rowBytes = 8L * n;
            int inputCapacity = Math.toIntExact(MatmulKernel.HEADER + 8L * n * n + rowBytes * perCall);
            try (Offloader off = app.lease("matmul", inputCapacity, Math.toIntExact(rowBytes * perCall + 8))) {
                List<Offloader.Batch> calls = new ArrayList<>();
                for (int first = 0; first < offloaded; first += perCall) {
                    int from = first;
                    int rows = Math.min(perCall, offloaded - first);
                    calls.add(new Offloader.Batch() {
                        @Override
                        public int fill(MemorySegment in) {
                            in.set(ValueLayout.JAVA_INT_UNALIGNED, 0, n);
                            in.set(ValueLayout.JAVA_INT_UNALIGNED, 4, rows);
                            MemorySegment.copy(b, 0, in, MatmulKernel.HEADER, 8L * n * n);
                            MemorySegment.copy(aRows, rowBytes * from, in, MatmulKernel.HEADER + 8L * n * n, rowBytes * rows);
                            return Math.toIntExact(MatmulKernel.HEADER + 8L * n * n + rowBytes * rows);
                        }

                        @Override
                        public void drain(MemorySegment out, int length) {
                            MemorySegment.copy(out, 0, c, rowBytes * from, rowBytes * rows);
                        }
                    });
                }
                AppRun.Timing time = app.timeRounds(off, calls, offloaded, mine - offloaded,
                        (from, rows) -> multiply(app, aRows, b, c, from, rows, n));

                String check = "skipped";
                if (app.args.has("check")) {
                    MemorySegment reference = arena.allocate(c.byteSize(), 8);
                    multiply(app, aRows, b, reference, 0, mine, n);
                    check = app.compare(c, reference);
                }
                MemorySegment gathered = app.rank == 0 ? arena.allocate(8L * n * n, 8) : MemorySegment.NULL;
                Mpi.gatherv(c, mine * n, gathered, counts, displs, Mpi.Datatype.DOUBLE, 0);
                app.writeOut(gathered);
                app.report("n=" + n, time, off == null ? OffloadStats.NONE : off.stats(), check);
                if (check.startsWith("MISMATCH")) {
                    throw new IllegalStateException("offloaded product differs from the all-local run");
                }
            }
        }
    }

    /** Rows [from, from + rows) of C = A * B. */
    private static void multiply(AppRun app, MemorySegment a, MemorySegment b, MemorySegment c, int from, int rows, int n) {
        if (rows == 0) {
            return;
        }
        long off = 8L * from * n;
        if (app.isNative()) {
            app.nativeKernels.matmul(a.asSlice(off), b, c.asSlice(off), rows, n);
        } else {
            MatmulKernel.multiply(a, off, b, 0, c, off, rows, n);
        }
    }
}
