package org.rfaas.apps.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import org.rfaas.mpi.Mpi;

/**
 * What every application's rank does around its computation: MPI start and end, a scratch
 * directory for the function packages, the native kernels when {@code --kernel native}, the lease
 * when {@code --offload > 0}, and the one {@code RESULT} line rank 0 prints (timings are the
 * maximum over ranks: the job waits for its slowest rank).
 */
public final class AppRun implements AutoCloseable {
    /** The parsed command line. */
    public final AppArgs args;
    /** This rank and the number of ranks. */
    public final int rank, size;
    /** The offloaded fraction. */
    public final double offload;
    /** The native kernels when {@code --kernel native}, else null. */
    public final NativeKernels nativeKernels;
    private final String app;
    private final Path workDir;
    private final Path nativeLibrary;

    private AppRun(String app, String[] argv) throws IOException {
        this.app = app;
        this.args = new AppArgs(argv, List.of("check", "help"));
        Mpi.init();
        rank = Mpi.rank();
        size = Mpi.size();
        offload = args.offload();
        workDir = Files.createTempDirectory("rfaas-" + app + "-rank" + rank + "-");
        nativeLibrary = args.nativeKernel() ? AppPackages.buildNativeLibrary(workDir) : null;
        nativeKernels = nativeLibrary == null ? null : new NativeKernels(nativeLibrary);
    }

    /**
     * Starts a rank of {@code app}: parses the arguments and initialises MPI. On a bad argument the
     * message goes to stderr and the process exits with 2.
     */
    public static AppRun start(String app, String[] argv) {
        try {
            return new AppRun(app, argv);
        } catch (IllegalArgumentException e) {
            System.err.println(app + ": " + e.getMessage());
            System.exit(2);
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether this run uses the native kernels. */
    public boolean isNative() {
        return nativeKernels != null;
    }

    /**
     * Leases executors for {@code function} with the given capacities, or returns null when
     * nothing is offloaded.
     */
    public Offloader lease(String function, int inputCapacity, int outputCapacity) {
        if (offload == 0) {
            return null;
        }
        Path pkg = nativeLibrary != null ? nativeLibrary : AppPackages.writeJar(workDir.resolve("apps-functions.jar"));
        return new Offloader(args, pkg, function, inputCapacity, outputCapacity);
    }

    /**
     * Prints rank 0's {@code RESULT} line: the {@link Timing} (time to solution without the lease,
     * this rank's own kernel time, waiting for its executors, offloading work on the rank), the
     * offload stats, and {@code check} (the comparison with the all-local run, or "skipped").
     * The ideal time for the split is the time of the slower half: the solve time with the local
     * kernel, the waiting and the rank's offloading work replaced by the longer of the local kernel
     * and the busiest executor's kernel (what is left, e.g. MPI halo exchanges, stays).
     * Collective: every rank must call it.
     */
    public void report(String params, Timing t, OffloadStats s, String check) {
        double solve = max(t.solve());
        double local = max(t.local());
        double remote = max(s.busiestWorker());
        double ideal = max(t.solve() - t.local() - t.waiting() - t.offloading() + Math.max(t.local(), s.busiestWorker()));
        double lease = max(s.lease());
        double transfer = max(s.transfer());
        double network = max(s.network());
        double wait = max(t.waiting());
        double calls = Mpi.allreduce(s.calls(), Mpi.Op.SUM);
        double perCall = calls == 0 ? 0 : Mpi.allreduce((s.transfer() + s.network()) / 1e3, Mpi.Op.SUM) / calls;
        double callMedian = Mpi.allreduce(s.callMedian() / 1e3, Mpi.Op.MAX);
        double callP99 = Mpi.allreduce(s.callP99() / 1e3, Mpi.Op.MAX);
        if (rank == 0) {
            System.out.println(String.format(Locale.ROOT,
                    "RESULT app=%s ranks=%d offload=%.2f kernel=%s %s solve_s=%.4f ideal_s=%.4f local_s=%.4f "
                            + "remote_compute_s=%.4f lease_s=%.4f transfer_s=%.4f network_s=%.4f wait_s=%.4f calls=%d "
                            + "call_overhead_us=%.1f call_median_us=%.1f call_p99_us=%.1f check=%s",
                    app, size, offload, isNative() ? "native" : "java", params, solve, ideal, local, remote, lease,
                    transfer, network, wait, (long) calls, perCall, callMedian, callP99, check));
        }
    }

    private static double max(long nanos) {
        return Mpi.allreduce(nanos / 1e9, Mpi.Op.MAX);
    }

    /**
     * Compares {@code result} with {@code reference} bit for bit on every rank; returns the
     * collective verdict ({@code bitwise-equal} or {@code MISMATCH:<ranks>}).
     */
    public String compare(MemorySegment result, MemorySegment reference) {
        double bad = Mpi.allreduce(result.mismatch(reference) == -1 ? 0 : 1, Mpi.Op.SUM);
        return bad == 0 ? "bitwise-equal" : "MISMATCH:" + (int) bad + "-ranks";
    }

    /** Rank 0 writes {@code data} to {@code --out} (raw little-endian doubles) when given. */
    public void writeOut(MemorySegment data) {
        if (rank != 0 || !args.has("out")) {
            return;
        }
        Path out = Path.of(args.string("out", null));
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            java.nio.ByteBuffer b = data.asByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out, e);
        }
    }

    /** Splits {@code total} items into {@code parts} contiguous blocks: counts[p]. */
    public static int[] blockCounts(int total, int parts) {
        int[] c = new int[parts];
        for (int p = 0; p < parts; p++) {
            c[p] = total / parts + (p < total % parts ? 1 : 0);
        }
        return c;
    }

    /** Prefix sums of {@code counts}. */
    public static int[] displacements(int[] counts) {
        int[] d = new int[counts.length];
        for (int p = 1; p < counts.length; p++) {
            d[p] = d[p - 1] + counts[p - 1];
        }
        return d;
    }

    /** Deletes the scratch directory (MPI ends in {@link #main(String, Runnable)}). */
    @Override
    public void close() {
        try (var files = Files.walk(workDir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("cannot delete " + workDir + ": " + e);
        }
    }

    /**
     * Runs a rank's body and ends MPI; any failure is printed and aborts the whole MPI job (exit
     * code 1), so that the other ranks do not wait in a collective for a rank that is gone.
     */
    public static void main(String app, Runnable body) {
        try {
            body.run();
        } catch (Throwable t) {
            System.err.println(app + " failed: " + t);
            t.printStackTrace();
            Mpi.abort(1);
            System.exit(1);
        }
        Mpi.finalizeMpi();
        System.exit(0);
    }

    /**
     * Times of one solve, in nanoseconds: to solution, the rank's own kernel, waiting for its
     * executors, and the offloading work the rank did besides ({@link Offloader.Round#offloading()}).
     */
    public record Timing(long solve, long local, long waiting, long offloading) {
    }

    /**
     * Runs {@code --repeat} rounds (earlier rounds warm up the JIT compilers of ranks and
     * executors) of {@link Offloader#round}: the offloaded batches ({@code off} may be null) and
     * the local items [from, from + count). Returns the last round's times; the offload stats
     * cover it alone.
     */
    public Timing timeRounds(Offloader off, List<? extends Offloader.Batch> batches, int from, int count,
            Offloader.LocalKernel kernel) {
        int repeat = Math.max(1, args.integer("repeat", 1));
        Timing last = null;
        for (int round = 0; round < repeat; round++) {
            if (off != null) {
                off.resetStats();
            }
            Mpi.barrier();
            long t0 = System.nanoTime();
            Offloader.Round r = Offloader.round(off, batches, from, count, kernel);
            last = new Timing(System.nanoTime() - t0, r.local(), r.waiting(), r.offloading());
        }
        return last;
    }

    /** The fields of the {@code RESULT} line in an application's output (for drivers and tests). */
    public static java.util.Map<String, String> parseResult(String output) {
        String line = output.lines().filter(l -> l.startsWith("RESULT ")).findFirst()
                .orElseThrow(() -> new IllegalStateException("no RESULT line in:\n" + output));
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        for (String kv : line.substring("RESULT ".length()).split(" ")) {
            int eq = kv.indexOf('=');
            m.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return m;
    }

    /** Little-endian doubles. */
    public static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED;
}
