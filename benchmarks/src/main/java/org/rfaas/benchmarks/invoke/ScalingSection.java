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
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Parallel invocations: one lease of {@code k} cores, {@code scatter} of one 1 KiB input per core,
 * repeated; latency of the whole scatter and invocations per second. Hot only where the executor's
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
                        report.add(measure(executor, provider, mode, cores, budget));
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

    private static Row measure(RemoteExecutor executor, String provider, String mode, int cores, long budget) {
        List<byte[]> inputs = new ArrayList<>();
        for (int i = 0; i < cores; i++) {
            byte[] in = new byte[BYTES];
            in[0] = (byte) i;
            inputs.add(in);
        }
        long warmEnd = System.nanoTime() + budget / 4;
        while (System.nanoTime() < warmEnd) {
            check(executor.scatter("echo", inputs).join(), inputs);
        }
        Histogram h = LatencyStats.newHistogram();
        long start = System.nanoTime();
        long end = start + budget;
        long scatters = 0;
        long now = start;
        while (now < end || scatters < 20) {
            long t0 = System.nanoTime();
            List<byte[]> out = executor.scatter("echo", inputs).join();
            now = System.nanoTime();
            h.recordValue(Math.max(1, Math.min(LatencyStats.HISTOGRAM_MAX_NS, now - t0)));
            if (out.size() != cores) {
                throw new IllegalStateException("scatter over " + cores + " cores returned " + out.size() + " parts");
            }
            scatters++;
        }
        LatencyStats s = LatencyStats.of(h);
        double perSecond = scatters * (double) cores / ((now - start) / 1e9);
        return new Row("scaling", "rfaas", provider, mode, BYTES, cores, s.count(), s.medianNs(), s.p99Ns(), perSecond);
    }

    private static void check(List<byte[]> out, List<byte[]> in) {
        for (int i = 0; i < in.size(); i++) {
            if (!java.util.Arrays.equals(in.get(i), out.get(i))) {
                throw new IllegalStateException("scatter part " + i + " did not echo its input");
            }
        }
    }
}
