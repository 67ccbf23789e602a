package org.rfaas.apps.blackscholes;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.rfaas.apps.common.AppRun;
import org.rfaas.apps.common.OffloadStats;
import org.rfaas.apps.common.Offloader;
import org.rfaas.mpi.Mpi;

/**
 * PARSEC Black-Scholes as an MPI job whose ranks offload part of their options to rFaaS.
 *
 * <pre>
 * mpirun -np 2 java --enable-native-access=ALL-UNNAMED -cp CP org.rfaas.apps.blackscholes.BlackScholesApp \
 *     --executors db.json | --resource-manager URL  --offload 0.5 [--size simsmall|simmedium|simlarge|native|N]
 *     [--seed 1] [--batch 2048] [--runs 100] [--cores 1] [--depth 2] [--repeat 1] [--kernel java|native]
 *     [--check] [--out prices.bin]
 * </pre>
 *
 * Rank 0 generates the options ({@link OptionGenerator}) and scatters them; each rank sends the
 * first {@code offload} fraction of its share to its executors in batches of {@code --batch}
 * options (records written straight into the registered input slot), prices the rest itself
 * meanwhile, and the prices are gathered on rank 0. Every option is priced {@code --runs} times, as
 * PARSEC's {@code NUM_RUNS} loop does (PARSEC fixes it at 100; the prices do not change, the work
 * per option byte does). {@code --check} prices everything locally
 * again and compares bit for bit. {@code --repeat R} prices the options R times and reports the
 * last round (the earlier ones warm up the JIT compilers of the ranks and the executors).
 */
public final class BlackScholesApp {
    private BlackScholesApp() {
    }

    private static final int REC = BlackScholesKernel.RECORD_BYTES;

    /** Entry point; see the class comment. */
    public static void main(String[] argv) {
        AppRun.main("blackscholes", () -> run(argv));
    }

    private static void run(String[] argv) {
        try (AppRun app = AppRun.start("blackscholes", argv); Arena arena = Arena.ofShared()) {
            int n = OptionGenerator.size(app.args.string("size", "simsmall"));
            long seed = (long) app.args.number("seed", 1);
            int batch = app.args.integer("batch", 2048);
            int runs = app.args.integer("runs", 100);
            if (runs < 1 || runs > BlackScholesFunction.MAX_RUNS) {
                throw new IllegalArgumentException("--runs must be 1.." + BlackScholesFunction.MAX_RUNS);
            }
            int[] counts = AppRun.blockCounts(n, app.size);
            int[] displs = AppRun.displacements(counts);
            int mine = counts[app.rank];

            MemorySegment all = app.rank == 0 ? arena.allocate((long) n * REC, 8) : MemorySegment.NULL;
            if (app.rank == 0) {
                OptionGenerator.generate(seed, n, all);
            }
            MemorySegment options = arena.allocate(Math.max(1, (long) mine * REC), 8);
            Mpi.scatterv(all, scale(counts, REC), scale(displs, REC), options, mine * REC, Mpi.Datatype.BYTE, 0);
            MemorySegment prices = arena.allocate(Math.max(1, 8L * mine), 8);

            int offloaded = (int) Math.round(mine * app.offload);
            try (Offloader off = app.lease("blackscholes", BlackScholesFunction.HEADER + batch * REC, batch * 8 + 8)) {
                List<Offloader.Batch> batches = new ArrayList<>();
                for (int first = 0; first < offloaded; first += batch) {
                    int from = first;
                    int count = Math.min(batch, offloaded - first);
                    batches.add(new Offloader.Batch() {
                        @Override
                        public int fill(MemorySegment in) {
                            in.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0, runs);
                            in.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 4, 0);
                            MemorySegment.copy(options, (long) from * REC, in, BlackScholesFunction.HEADER, (long) count * REC);
                            return BlackScholesFunction.HEADER + count * REC;
                        }

                        @Override
                        public void drain(MemorySegment out, int length) {
                            MemorySegment.copy(out, 0, prices, 8L * from, 8L * count);
                        }
                    });
                }
                AppRun.Timing time = app.timeRounds(off, batches, offloaded, mine - offloaded,
                        (from, count) -> price(app, options, from, count, runs, prices));

                String check = "skipped";
                if (app.args.has("check")) {
                    MemorySegment reference = arena.allocate(Math.max(1, 8L * mine), 8);
                    price(app, options, 0, mine, 1, reference);
                    check = app.compare(prices, reference);
                }
                MemorySegment gathered = app.rank == 0 ? arena.allocate(8L * n, 8) : MemorySegment.NULL;
                Mpi.gatherv(prices, mine, gathered, counts, displs, Mpi.Datatype.DOUBLE, 0);
                app.writeOut(gathered);
                app.report("options=" + n + " batch=" + batch + " runs=" + runs, time,
                        off == null ? OffloadStats.NONE : off.stats(), check);
                if (check.startsWith("MISMATCH")) {
                    throw new IllegalStateException("offloaded prices differ from the all-local run");
                }
            }
        }
    }

    /**
     * Prices options [from, from + count) of {@code options} into the same range of {@code prices},
     * {@code runs} times (PARSEC's {@code NUM_RUNS} loop).
     */
    private static void price(AppRun app, MemorySegment options, int from, int count, int runs, MemorySegment prices) {
        if (count == 0) {
            return;
        }
        for (int r = 0; r < runs; r++) {
            if (app.isNative()) {
                app.nativeKernels.blackscholes(options.asSlice((long) from * REC), count, prices.asSlice(8L * from));
            } else {
                BlackScholesKernel.priceAll(options, (long) from * REC, count, prices, 8L * from);
            }
        }
    }

    private static int[] scale(int[] a, int factor) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = Math.multiplyExact(a[i], factor);
        }
        return r;
    }
}
