package org.rfaas.benchmarks.demo;

import org.HdrHistogram.Histogram;
import org.rfaas.benchmarks.common.LatencyStats;
import org.rfaas.benchmarks.common.TextTable;
import org.rfaas.benchmarks.invoke.FunctionPackages;
import org.rfaas.benchmarks.invoke.LocalNode;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.InvocationSlot;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.client.WaitMode;
import org.rfaas.protocol.LeaseAccounting;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * {@code rfaas demo}: the whole life of a lease on this machine, in well under a minute.
 *
 * <p>Stages, in order (each a {@link Stage}, so that later issues can add theirs, e.g. a resource
 * manager that grants the leases before {@code client}, and a billing summary after
 * {@code invocations}): start an executor manager in a child process; build the function packages
 * (a JAR, and a native library compiled with gcc); build the client; for each package, cold starts,
 * then warm and hot invocations on one lease, then release with its accounting; print the table.
 * Everything is stopped at the end and the demo checks that no process is left behind.
 */
public final class Demo {
    /** A step of the demo. */
    public interface Stage {
        /** Shown while it runs. */
        String name();

        /** Runs; registers what it opens with {@link DemoContext#own}. */
        void run(DemoContext ctx) throws Exception;
    }

    /** Cold starts per package. */
    static final int COLD_STARTS = 3;
    /** Warm invocations per package (each after the executor fell asleep). */
    static final int WARM_CALLS = 50;
    /** Hot invocations per package (back to back). */
    static final int HOT_CALLS = 5_000;
    /** The lease's hot timeout: hot this long after each call, then warm. */
    static final HotTimeout HOT_TIMEOUT = HotTimeout.ofMicros(1_000);
    /** Payload of every call. */
    static final int BYTES = 1024;

    private Demo() {
    }

    /** The stages of the demo, in order. */
    public static List<Stage> defaultStages() {
        List<Stage> stages = new ArrayList<>();
        stages.add(stage("start an executor manager", ctx -> {
            ctx.node = ctx.own(LocalNode.start(ctx.transport, ctx.workDir.resolve("node")));
            ctx.leases = ctx.node.database();
            ctx.out.printf("executor manager: pid %d, listening on %s%n", ctx.node.pid(), ctx.node.address());
        }));
        stages.add(stage("build the function packages", ctx -> {
            Path jar = FunctionPackages.javaJar(ctx.workDir.resolve("java"));
            ctx.packages.put("java", FunctionPackage.jar(jar));
            List<String> why = new ArrayList<>();
            Optional<Path> so = FunctionPackages.nativeLibrary(ctx.workDir.resolve("native"), why);
            if (so.isPresent()) {
                ctx.packages.put("native", FunctionPackage.nativeLibrary(so.get(), FunctionPackages.NATIVE_FUNCTIONS));
            } else {
                ctx.out.println("native functions skipped: " + String.join("; ", why));
                ctx.note("native functions skipped: " + String.join("; ", why));
            }
            ctx.packages.forEach((k, p) -> ctx.out.println("package " + k + ": " + p));
        }));
        stages.add(stage("build the client", ctx -> ctx.client = ctx.own(ctx.node.client(ctx.leases))));
        stages.add(stage("invoke cold, warm and hot", Demo::invocations));
        return stages;
    }

    private static Stage stage(String name, ThrowingConsumer body) {
        return new Stage() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void run(DemoContext ctx) throws Exception {
                body.accept(ctx);
            }
        };
    }

    @FunctionalInterface
    private interface ThrowingConsumer {
        void accept(DemoContext ctx) throws Exception;
    }

    /**
     * Runs the stages on {@code transport}, prints the table; returns 0, or 1 when something failed
     * or a process was left behind.
     */
    public static int run(String transport, List<Stage> stages, PrintStream out) throws IOException {
        Path workDir = Files.createTempDirectory("rfaas-demo-");
        DemoContext ctx = new DemoContext(workDir, out, transport);
        long t0 = System.nanoTime();
        int status = 0;
        try {
            for (Stage s : stages) {
                out.println("== " + s.name());
                long s0 = System.nanoTime();
                s.run(ctx);
                out.printf(Locale.ROOT, "   (%.2f s)%n", (System.nanoTime() - s0) / 1e9);
            }
        } catch (Exception e) {
            out.println("demo failed: " + e);
            status = 1;
            throw new IllegalStateException("demo failed in a stage: " + e.getMessage(), e);
        } finally {
            for (AutoCloseable r : ctx.resources.reversed()) {
                try {
                    r.close();
                } catch (Exception e) {
                    out.println("cleanup: " + e);
                }
            }
            printTable(ctx);
            List<ProcessHandle> left = leftovers();
            if (!left.isEmpty()) {
                out.println("left behind: " + left.stream().map(p -> p.pid() + " " + p.info().command().orElse("?")).toList()
                        + "; killing them");
                left.forEach(ProcessHandle::destroyForcibly);
                status = 1;
            } else {
                out.println("no process left behind (checked the descendants of pid " + ProcessHandle.current().pid() + ")");
            }
            deleteTree(workDir);
            out.printf(Locale.ROOT, "demo finished in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        }
        return status;
    }

    /** Cold starts, then warm and hot calls on one lease, for each package. */
    private static void invocations(DemoContext ctx) throws Exception {
        for (var e : ctx.packages.entrySet()) {
            String kind = e.getKey();
            FunctionPackage pkg = e.getValue();
            Histogram cold = LatencyStats.newHistogram();
            for (int i = 0; i < COLD_STARTS; i++) {
                long t0 = System.nanoTime();
                try (RemoteExecutor ex = ctx.client.allocate(AllocationSpec.of(1, 256, HOT_TIMEOUT, pkg, BYTES, BYTES))) {
                    call(ex, ex.functionIndex("echo"));
                    cold.recordValue(System.nanoTime() - t0);
                    long c0 = System.nanoTime();
                    ex.close();
                    ctx.out.printf(Locale.ROOT, "%s: cold start %d: %.0f ms, release %.0f ms%n", kind, i + 1,
                            (c0 - t0) / 1e6, (System.nanoTime() - c0) / 1e6);
                }
            }
            ctx.measurements.add(new DemoContext.Measurement(kind, "echo", "cold", LatencyStats.of(cold)));
            long phase = System.nanoTime();
            RemoteExecutor ex = ctx.client.allocate(AllocationSpec.of(1, 256, HOT_TIMEOUT, pkg, BYTES, BYTES));
            try {
                int echo = ex.functionIndex("echo");
                Histogram warm = LatencyStats.newHistogram();
                for (int i = 0; i < WARM_CALLS; i++) {
                    // Sleep past the hot timeout: the worker stops spinning and waits for a wake-up.
                    LockSupport.parkNanos(HOT_TIMEOUT.micros() * 3_000);
                    long t0 = System.nanoTime();
                    call(ex, echo);
                    warm.recordValue(System.nanoTime() - t0);
                }
                Histogram hot = LatencyStats.newHistogram();
                for (int i = 0; i < HOT_CALLS; i++) {
                    long t0 = System.nanoTime();
                    call(ex, echo);
                    hot.recordValue(System.nanoTime() - t0);
                }
                ctx.measurements.add(new DemoContext.Measurement(kind, "echo", "warm", LatencyStats.of(warm)));
                ctx.measurements.add(new DemoContext.Measurement(kind, "echo", "hot", LatencyStats.of(hot)));
            } finally {
                long leaseId = ex.leaseId();
                long r0 = System.nanoTime();
                LeaseAccounting bill = ex.release();
                ctx.out.printf(Locale.ROOT, "%s: lease %d served %.2f s, released in %.2f s%n", kind, leaseId,
                        (r0 - phase) / 1e9, (System.nanoTime() - r0) / 1e9);
                ctx.bills.add(new DemoContext.LeaseBill(kind, leaseId, bill));
                ex.close();
            }
        }
    }

    /** One echo of {@link #BYTES} bytes through the zero-copy slot API; checks the echo. */
    private static void call(RemoteExecutor ex, int echo) {
        try (InvocationSlot s = ex.acquireSlot()) {
            MemorySegment in = s.input();
            in.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 0x5246614153L);
            int n = s.invoke(echo, BYTES, BYTES, WaitMode.HOT);
            if (n != BYTES || s.output().get(ValueLayout.JAVA_LONG_UNALIGNED, 0) != 0x5246614153L) {
                throw new IllegalStateException("echo returned " + n + " bytes that differ from the input");
            }
        }
    }

    private static void printTable(DemoContext ctx) {
        PrintStream out = ctx.out;
        if (!ctx.measurements.isEmpty()) {
            TextTable t = new TextTable(List.of("package", "function", "invocation", "calls", "median", "p99"), 3, 4, 5);
            for (DemoContext.Measurement m : ctx.measurements) {
                t.add(List.of(m.packageKind(), m.function(), m.kind(), Long.toString(m.stats().count()),
                        TextTable.ns(m.stats().medianNs()), TextTable.ns(m.stats().p99Ns())));
            }
            out.println();
            out.println("Invocations of a " + BYTES + "-byte echo over " + ctx.transport + " (cold = allocation request -> first result;"
                    + " warm = worker asleep after the " + HOT_TIMEOUT.micros() + " us hot timeout; hot = back to back):");
            out.println(t.render());
        }
        if (!ctx.bills.isEmpty()) {
            TextTable t = new TextTable(List.of("package", "lease", "allocation", "compute", "hot polling", "invocations"),
                    2, 3, 4, 5);
            for (DemoContext.LeaseBill b : ctx.bills) {
                LeaseAccounting a = b.accounting();
                t.add(List.of(b.packageKind(), Long.toString(b.leaseId()), TextTable.ns(a.allocationNanos()),
                        TextTable.ns(a.computeNanos()), TextTable.ns(a.hotPollNanos()), Long.toString(a.invocations())));
            }
            out.println("Accounting of the warm/hot leases, as their executor manager reported it at release:");
            out.println(t.render());
        }
        ctx.notes.forEach(out::println);
    }

    /** Live descendants of this JVM. */
    static List<ProcessHandle> leftovers() {
        long deadline = System.nanoTime() + 5_000_000_000L;
        List<ProcessHandle> left;
        do {
            left = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList();
            if (left.isEmpty()) {
                return left;
            }
            LockSupport.parkNanos(100_000_000L);
        } while (System.nanoTime() < deadline);
        return left;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A leftover temporary directory is harmless.
        }
    }
}
