package org.rfaas.benchmarks.invoke;

import org.rfaas.demo.support.FunctionPackages;
import org.HdrHistogram.Histogram;
import org.rfaas.demo.support.LatencyStats;
import org.rfaas.benchmarks.common.Progress;
import org.rfaas.benchmarks.suite.BenchAll;
import org.rfaas.benchmarks.suite.Report;
import org.rfaas.benchmarks.suite.Row;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.InvocationSlot;
import org.rfaas.client.ScatterGather;
import org.rfaas.client.WaitMode;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Parallel invocations: one lease of {@code k} cores, a scatter of one 1 KiB input per core,
 * repeated; latency of the whole scatter and invocations per second, beside the same k calls made
 * one blocking call after another. Hot only where the executor's
 * spinning workers plus the spinning client fit the machine's cores; warm everywhere else.
 */
public final class ScalingSection implements BenchAll.Section {
    /** Input of each part. */
    public static final int BYTES = 1024;

    private final List<String> providers;
    private final NodePool nodes;

    public ScalingSection(List<String> providers, NodePool nodes) {
        this.providers = List.copyOf(providers);
        this.nodes = nodes;
    }

    /** The (cores, mode) points measured on each provider; {@code quick} skips 1 warm and 4. */
    static List<Object[]> points(boolean quick) {
        List<Object[]> p = new ArrayList<>();
        int machine = Runtime.getRuntime().availableProcessors();
        for (int cores : quick ? List.of(1, 2, 8) : List.of(1, 2, 4, 8)) {
            if (cores + 1 <= machine) {
                p.add(new Object[] {cores, "hot"});
            }
            if (!(quick && cores + 1 <= machine)) {
                p.add(new Object[] {cores, "warm"});
            }
        }
        return p;
    }

    @Override
    public int steps() {
        return providers.size() * points(false).size();
    }

    @Override
    public void run(Report report, Progress progress, boolean quick) throws Exception {
        long budget = Duration.ofMillis(quick ? 400 : 2_500).toNanos();
        for (String provider : providers) {
            Path dir = Files.createTempDirectory("rfaas-bench-scaling-");
            try (RfaasClient client = nodes.node(provider).client()) {
                FunctionPackage pkg = FunctionPackage.jar(FunctionPackages.javaJar(dir));
                for (Object[] point : points(quick)) {
                    int cores = (Integer) point[0];
                    String mode = (String) point[1];
                    progress.begin("scaling " + provider + " " + cores + " cores " + mode);
                    HotTimeout hot = mode.equals("hot") ? HotTimeout.ofMicros(RfaasEcho.HOT_TIMEOUT_MICROS) : HotTimeout.ALWAYS_WARM;
                    try (RemoteExecutor executor = client.allocate(AllocationSpec.of(cores, 256, hot, pkg, BYTES, BYTES))) {
                        List<Row> rows = measure(executor, provider, mode, cores, budget);
                        rows.forEach(report::add);
                        if (cores == 1) {
                            report.note("scatter 1 core / blocking call " + provider + " " + mode, String.format(
                                    java.util.Locale.ROOT, "%.2f (future), %.2f (gather), %.2f (reduce); target <= 1.2",
                                    rows.get(0).medianNs() / (double) rows.get(3).medianNs(),
                                    rows.get(1).medianNs() / (double) rows.get(3).medianNs(),
                                    rows.get(2).medianNs() / (double) rows.get(3).medianNs()));
                        }
                    } catch (RuntimeException e) {
                        // One point failing (a lease refused, a worker lost) must not hide the others.
                        report.note("scaling " + provider + " " + cores + " cores " + mode + " failed", e.toString());
                        org.slf4j.LoggerFactory.getLogger(ScalingSection.class).error("scaling {} {} cores {} failed",
                                provider, cores, mode, e);
                    }
                    progress.step();
                }
            } finally {
                FunctionPackages.deleteTree(dir);
            }
        }
    }

    /** Alternating rounds of the ways of running one call per core, so that noise hits all alike. */
    private static final int ROUNDS = 5;

    /**
     * The scatter of one input per core four ways, in alternating rounds on the same executor:
     * {@code rfaas} the future-returning {@link RemoteExecutor#scatter}, {@code rfaas-gather} the
     * allocation-free {@link ScatterGather#gather} into a caller's buffer, {@code rfaas-reduce}
     * {@link ScatterGather#reduce} folding a byte of each output where it arrived, and
     * {@code rfaas-blocking} one blocking call per core in turn, each output copied into the same
     * caller's buffer as the gather's (what a scatter must beat: the same work, call after call).
     */
    private static List<Row> measure(RemoteExecutor executor, String provider, String mode, int cores, long budget) {
        List<byte[]> inputs = new ArrayList<>();
        for (int i = 0; i < cores; i++) {
            byte[] in = new byte[BYTES];
            in[0] = (byte) (i + 1); // a part's mark: an output in the wrong place, or none, shows
            inputs.add(in);
        }
        WaitMode wait = mode.equals("hot") ? WaitMode.HOT : WaitMode.WARM;
        int echo = executor.functionIndex("echo");
        ScatterGather sg = executor.scatterGather("echo");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate((long) BYTES * cores);
            MemorySegment out = arena.allocate((long) BYTES * cores);
            for (int i = 0; i < cores; i++) {
                MemorySegment.copy(inputs.get(i), 0, in, ValueLayout.JAVA_BYTE, (long) i * BYTES, BYTES);
            }
            int[] lengths = new int[cores];
            long[] folded = new long[1];
            ScatterGather.PartHandler fold = (part, output) -> folded[0] += output.get(ValueLayout.JAVA_BYTE, 0);
            long expectedFold = (long) cores * (cores + 1) / 2;
            List<String> systems = List.of("rfaas", "rfaas-gather", "rfaas-reduce", "rfaas-blocking");
            List<Runnable> ops = List.of(
                    () -> check(executor.scatter("echo", inputs).join(), inputs),
                    () -> {
                        clearMarks(out, cores);
                        sg.gather(in, BYTES, BYTES, cores, out, BYTES, lengths, wait);
                        checkMarks(out, lengths, cores, "gather");
                    },
                    () -> {
                        folded[0] = 0;
                        sg.reduce(in, BYTES, BYTES, cores, fold, wait);
                        if (folded[0] != expectedFold) {
                            throw new IllegalStateException("reduce over " + cores + " cores folded " + folded[0]);
                        }
                    },
                    () -> {
                        clearMarks(out, cores);
                        for (int i = 0; i < cores; i++) {
                            try (InvocationSlot slot = executor.acquireSlot(i)) {
                                MemorySegment.copy(in, (long) i * BYTES, slot.input(), 0, BYTES);
                                int n = slot.invoke(echo, BYTES, BYTES, wait);
                                MemorySegment.copy(slot.output(), 0, out, (long) i * BYTES, n);
                                lengths[i] = n;
                            }
                        }
                        checkMarks(out, lengths, cores, "blocking calls");
                    });
            long warmEnd = System.nanoTime() + budget / 4;
            while (System.nanoTime() < warmEnd) {
                ops.forEach(Runnable::run);
            }
            List<List<LatencyStats>> rounds = ops.stream().map(op -> (List<LatencyStats>) new ArrayList<LatencyStats>())
                    .toList();
            long[] calls = new long[ops.size()];
            long[] nanos = new long[ops.size()];
            Histogram h = LatencyStats.newHistogram();
            long roundBudget = budget / (ROUNDS * ops.size());
            for (int r = 0; r < ROUNDS; r++) {
                for (int k = 0; k < ops.size(); k++) {
                    int m = (r & 1) == 0 ? k : ops.size() - 1 - k;
                    Runnable op = ops.get(m);
                    long warmRound = System.nanoTime() + 2_000_000L; // wakes workers the previous system let sleep
                    while (System.nanoTime() < warmRound) {
                        op.run();
                    }
                    h.reset();
                    long start = System.nanoTime();
                    long now = start;
                    long n = 0;
                    while (now - start < roundBudget || n < 20) {
                        long t0 = System.nanoTime();
                        op.run();
                        now = System.nanoTime();
                        h.recordValue(Math.max(1, Math.min(LatencyStats.HISTOGRAM_MAX_NS, now - t0)));
                        n++;
                    }
                    rounds.get(m).add(LatencyStats.of(h));
                    calls[m] += n * cores;
                    nanos[m] += now - start;
                }
            }
            List<Row> rows = new ArrayList<>();
            for (int m = 0; m < ops.size(); m++) {
                LatencyStats s = LatencyStats.medianOfRounds(rounds.get(m));
                rows.add(new Row("scaling", systems.get(m), provider, mode, BYTES, cores, s.count(), s.medianNs(),
                        s.p99Ns(), calls[m] / (nanos[m] / 1e9)));
            }
            return rows;
        }
    }

    private static void clearMarks(MemorySegment out, int cores) {
        for (int i = 0; i < cores; i++) {
            out.set(ValueLayout.JAVA_BYTE, (long) i * BYTES, (byte) 0);
        }
    }

    private static void checkMarks(MemorySegment out, int[] lengths, int cores, String what) {
        for (int i = 0; i < cores; i++) {
            if (out.get(ValueLayout.JAVA_BYTE, (long) i * BYTES) != (byte) (i + 1) || lengths[i] != BYTES) {
                throw new IllegalStateException(what + " over " + cores + " cores misplaced part " + i);
            }
        }
    }

    private static void check(List<byte[]> out, List<byte[]> in) {
        for (int i = 0; i < in.size(); i++) {
            if (!java.util.Arrays.equals(in.get(i), out.get(i))) {
                throw new IllegalStateException("scatter part " + i + " did not echo its input");
            }
        }
    }
}
