package org.rfaas.apps.jacobi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.rfaas.apps.common.AppRun;
import org.rfaas.apps.common.OffloadStats;
import org.rfaas.apps.common.Offloader;
import org.rfaas.mpi.Mpi;

/**
 * Jacobi iteration for the 2-D Laplace equation on an n x n grid (top edge 1.0, other edges 0.0),
 * rows block-distributed over the ranks with a halo row exchanged with each neighbour
 * ({@code MPI_Sendrecv}) every iteration. In every iteration each rank sends the first
 * {@code offload} fraction of its rows (with the two halo rows they need) to the same leased, hot
 * executors, one call per leased core, and sweeps the rest itself meanwhile; it stops when the
 * largest change of a point ({@code MPI_Allreduce} max) is below {@code --tol} or after
 * {@code --iterations}.
 *
 * <pre>
 * mpirun -np 2 java --enable-native-access=ALL-UNNAMED -cp CP org.rfaas.apps.jacobi.JacobiApp \
 *     --executors db.json | --resource-manager URL  --offload 0.5 [--n 256] [--iterations 500] [--tol 1e-4]
 *     [--cores 1] [--kernel java|native] [--wait warm|hot] [--hot-timeout 2000] [--repeat 1] [--check] [--out field.bin]
 * </pre>
 *
 * {@code --check} runs the same iterations all-local afterwards and compares the converged field
 * (and the iteration count) bit for bit. {@code --repeat R} solves R times from the initial field
 * and reports the last round.
 */
public final class JacobiApp {
    private JacobiApp() {
    }

    /** Entry point; see the class comment. */
    public static void main(String[] argv) {
        AppRun.main("jacobi", () -> run(argv));
    }

    private static void run(String[] argv) {
        try (AppRun app = AppRun.start("jacobi", argv); Arena arena = Arena.ofShared()) {
            int n = app.args.integer("n", 256);
            int maxIterations = app.args.integer("iterations", 500);
            double tol = app.args.number("tol", 1e-4);
            int repeat = Math.max(1, app.args.integer("repeat", 1));
            if (n < 3 || n - 2 < app.size) {
                throw new IllegalArgumentException("--n must be at least 2 + the number of ranks");
            }
            int[] rowCounts = AppRun.blockCounts(n - 2, app.size);
            int mine = rowCounts[app.rank];
            int offloaded = (int) Math.round(mine * app.offload);
            int cores = app.args.integer("cores", 1);
            int perCall = Math.max(1, (offloaded + cores - 1) / cores);
            long rowBytes = 8L * n;

            try (Offloader off = app.lease("jacobi", Math.toIntExact(JacobiKernel.HEADER + rowBytes * (perCall + 2)),
                    Math.toIntExact(rowBytes * perCall + 8))) {
                Field field = null;
                AppRun.Timing times = null;
                for (int round = 0; round < repeat; round++) { // earlier rounds warm up both JITs
                    if (off != null) {
                        off.resetStats();
                    }
                    field = new Field(arena, app, n, mine);
                    Mpi.barrier();
                    long t0 = System.nanoTime();
                    long[] t = field.solve(off, offloaded, perCall, maxIterations, tol);
                    times = new AppRun.Timing(System.nanoTime() - t0, t[0], t[1], t[2]);
                }

                String check = "skipped";
                if (app.args.has("check")) {
                    Field reference = new Field(arena, app, n, mine);
                    reference.solve(null, 0, 1, maxIterations, tol);
                    check = app.compare(field.current(), reference.current());
                    if (reference.iterations != field.iterations) {
                        check = "MISMATCH:iterations-" + field.iterations + "-vs-" + reference.iterations;
                    }
                }
                int[] counts = new int[app.size];
                for (int r = 0; r < app.size; r++) {
                    counts[r] = rowCounts[r] * n;
                }
                int[] displs = AppRun.displacements(counts);
                MemorySegment gathered = app.rank == 0 ? arena.allocate(8L * n * (n - 2), 8) : MemorySegment.NULL;
                Mpi.gatherv(field.current().asSlice(rowBytes, rowBytes * mine), mine * n, gathered, counts, displs,
                        Mpi.Datatype.DOUBLE, 0);
                app.writeOut(gathered);
                app.report("n=" + n + " iterations=" + field.iterations, times,
                        off == null ? OffloadStats.NONE : off.stats(), check);
                if (check.startsWith("MISMATCH")) {
                    throw new IllegalStateException("offloaded field differs from the all-local run: " + check);
                }
            }
        }
    }

    /** A rank's rows with one halo row above and below, double-buffered. */
    private static final class Field {
        private final AppRun app;
        private final int n;
        private final int rows;
        private final long rowBytes;
        private MemorySegment src;
        private MemorySegment dst;
        int iterations;

        Field(Arena arena, AppRun app, int n, int rows) {
            this.app = app;
            this.n = n;
            this.rows = rows;
            this.rowBytes = 8L * n;
            src = arena.allocate(rowBytes * (rows + 2), 8);
            dst = arena.allocate(rowBytes * (rows + 2), 8);
            if (app.rank == 0) { // the top edge is this rank's upper halo, fixed at 1.0
                for (int j = 0; j < n; j++) {
                    src.setAtIndex(AppRun.DOUBLE, j, 1.0);
                    dst.setAtIndex(AppRun.DOUBLE, j, 1.0);
                }
            }
        }

        MemorySegment current() {
            return src;
        }

        /** Iterates to convergence; returns {local kernel ns, waiting ns, offloading work ns}. */
        long[] solve(Offloader off, int offloaded, int perCall, int maxIterations, double tol) {
            int up = app.rank == 0 ? Mpi.PROC_NULL : app.rank - 1;
            int down = app.rank == app.size - 1 ? Mpi.PROC_NULL : app.rank + 1;
            long local = 0;
            long wait = 0;
            long offloading = 0;
            List<Offloader.Batch> calls = new ArrayList<>();
            for (int first = 0; first < offloaded; first += perCall) {
                int from = first;
                int count = Math.min(perCall, offloaded - first);
                calls.add(new Offloader.Batch() {
                    @Override
                    public int fill(MemorySegment in) {
                        in.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0, count);
                        in.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 4, n);
                        MemorySegment.copy(src, rowBytes * from, in, JacobiKernel.HEADER, rowBytes * (count + 2));
                        return Math.toIntExact(JacobiKernel.HEADER + rowBytes * (count + 2));
                    }

                    @Override
                    public void drain(MemorySegment out, int length) {
                        MemorySegment.copy(out, 0, dst, rowBytes * (from + 1), rowBytes * count);
                    }
                });
            }
            for (iterations = 0; iterations < maxIterations;) {
                // halos: my first row goes up while the row below mine comes up, and vice versa
                Mpi.sendrecv(src.asSlice(rowBytes, rowBytes), n, up, src.asSlice(rowBytes * (rows + 1), rowBytes), n,
                        down, Mpi.Datatype.DOUBLE, 1);
                Mpi.sendrecv(src.asSlice(rowBytes * rows, rowBytes), n, down, src.asSlice(0, rowBytes), n, up,
                        Mpi.Datatype.DOUBLE, 2);
                Offloader.Round r = Offloader.round(off, calls, offloaded, rows - offloaded, this::sweep);
                local += r.local();
                wait += r.waiting();
                offloading += r.offloading();
                double change = 0;
                for (long i = rowBytes; i < rowBytes * (rows + 1); i += 8) {
                    change = Math.max(change, Math.abs(dst.get(AppRun.DOUBLE, i) - src.get(AppRun.DOUBLE, i)));
                }
                MemorySegment t = src;
                src = dst;
                dst = t;
                iterations++;
                if (Mpi.allreduce(change, Mpi.Op.MAX) < tol) {
                    break;
                }
            }
            return new long[] {local, wait, offloading};
        }

        /** Sweeps rows [from, from + count) of this rank (row r lives at index r + 1). */
        private void sweep(int from, int count) {
            if (count == 0) {
                return;
            }
            if (app.isNative()) {
                app.nativeKernels.jacobi(src.asSlice(rowBytes * from), dst.asSlice(rowBytes * (from + 1)), count, n);
            } else {
                JacobiKernel.sweep(src, rowBytes * from, dst, rowBytes * (from + 1), count, n);
            }
        }
    }
}
