package org.rfaas.benchmarks.sebs;

import org.HdrHistogram.Histogram;
import org.rfaas.benchmarks.common.Progress;
import org.rfaas.benchmarks.invoke.LocalNode;
import org.rfaas.benchmarks.invoke.NodePool;
import org.rfaas.benchmarks.suite.Report;
import org.rfaas.benchmarks.suite.Row;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.demo.support.FunctionPackages;
import org.rfaas.demo.support.LatencyStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The SeBS functions (thumbnailer, image recognition) on rFaaS beside the same work in the
 * client's process, per transport: cold starts with the package uncached and cached, then warm
 * and hot latency per image size. Rows go to a {@link Report} under benchmark
 * {@code sebs-<function>}: system {@code rfaas} or {@code local} (the baseline, measured
 * alternately with the rFaaS calls so both see the same machine load).
 *
 * <ul>
 *   <li>{@code cold-uncached}: allocation request → first result with a package the node never
 *       saw (the base package plus a unique entry, so its SHA-256 differs; shipped whole);</li>
 *   <li>{@code cold-cached}: the same with the base package, which the node's cache holds;</li>
 *   <li>local {@code cold}: loading the function's model in this process and its first call;</li>
 *   <li>{@code hot} (hot timeout {@value #HOT_TIMEOUT_MICROS} µs: the executor spins between
 *       calls) and {@code warm} (always warm: it sleeps) per image size, each call beside one
 *       local run of the same image; the median of the per-pair differences is noted in the
 *       report ({@code sebs_paired_overhead_ns ...}), and the difference of the fastest calls
 *       ({@code sebs_fastest_overhead_ns ...}).</li>
 * </ul>
 * Each cold start begins on a settled node (the previous one's spare replacement booted).
 */
public final class SebsBench {
    private static final Logger LOG = LoggerFactory.getLogger(SebsBench.class);
    /** Longer than a local run, so a hot executor still spins when the next call comes. */
    static final long HOT_TIMEOUT_MICROS = 500_000;
    private static final Duration SETTLE_LIMIT = Duration.ofSeconds(30);
    /** Input capacity: the largest JPEG (2048x1536) with room to spare. */
    private static final int INPUT_CAPACITY = 2 << 20;
    /** Output capacity: the largest thumbnail. */
    private static final int OUTPUT_CAPACITY = 1 << 20;

    /**
     * How long the run is.
     *
     * @param coldRounds cold starts per kind (uncached, cached)
     * @param warmups untimed call pairs per image size and mode: each mode's lease is a fresh
     *     executor JVM whose JIT has not seen the function, while the local runs share the
     *     client's long-lived JVM. A fresh JVM still makes a 1024×768 thumbnail ~30 % slower in
     *     calls 10–24 than after 100 (the journal, 2026-12-05 night), which a handful of warm-up
     *     calls left in the rFaaS − local overhead
     * @param samples timed call pairs per image size and mode
     * @param widths image widths
     */
    record Shape(int coldRounds, int warmups, int samples, List<Integer> widths) {
        static Shape of(boolean quick) {
            return quick ? new Shape(3, 100, 15, SebsImages.QUICK_WIDTHS) : new Shape(8, 150, 60, SebsImages.FULL_WIDTHS);
        }
    }

    private SebsBench() {
    }

    /** The functions measured. */
    static List<SebsWorkload> workloads() {
        return List.of(new SebsWorkload.Thumbnail(), new SebsWorkload.Recognition());
    }

    /** Progress steps of {@link #run}. */
    public static int steps(List<String> providers) {
        return providers.size() * workloads().size();
    }

    /**
     * Runs everything on {@code providers}' nodes, adding rows to {@code report}; a function that
     * fails on one provider is logged and noted ({@code sebs_failures}), and the rest still runs.
     *
     * @return the failures, empty when everything ran
     */
    public static List<String> run(Report report, NodePool nodes, List<String> providers, boolean quick,
            Progress progress) {
        Shape shape = Shape.of(quick);
        Map<String, byte[]> images = SebsImages.jpegs(shape.widths());
        images.forEach((label, jpeg) -> report.note("sebs_image_" + label, jpeg.length + " bytes"));
        List<String> failures = new ArrayList<>();
        for (String provider : providers) {
            for (SebsWorkload w : workloads()) {
                progress.begin("sebs " + w.function() + " " + provider);
                try (w) {
                    measure(report, nodes.node(provider), w, images, shape);
                } catch (Exception e) {
                    LOG.error("sebs {} on {} failed", w.function(), provider, e);
                    failures.add(w.function() + " " + provider + ": " + e);
                }
                progress.step();
            }
        }
        report.note("sebs_failures", failures);
        return failures;
    }

    private static void measure(Report report, LocalNode node, SebsWorkload w, Map<String, byte[]> images, Shape shape)
            throws Exception {
        String benchmark = "sebs-" + w.function();
        String provider = node.transport();
        Path dir = Files.createTempDirectory("rfaas-bench-sebs-");
        try (RfaasClient client = node.client()) {
            Path baseJar = w.writePackage(dir.resolve(w.function() + ".jar"));
            FunctionPackage base = FunctionPackage.jar(baseJar);
            report.note("sebs_package_" + w.function(), base.size() + " bytes");
            byte[] first = images.values().iterator().next();
            byte[] firstInput = w.input(first);
            // Ship the base package once, so that the node caches it.
            coldStart(client, node, base, w, firstInput);
            Histogram uncached = LatencyStats.newHistogram();
            Histogram cached = LatencyStats.newHistogram();
            Histogram local = LatencyStats.newHistogram();
            for (int round = 0; round < shape.coldRounds(); round++) {
                FunctionPackage fresh = FunctionPackage.jar(unique(baseJar, dir, round));
                fresh.digest(); // the client hashes a package once; not part of a cold start
                uncached.recordValue(coldStart(client, node, fresh, w, firstInput));
                cached.recordValue(coldStart(client, node, base, w, firstInput));
                long t0 = System.nanoTime();
                w.loadLocal();
                w.runLocal(first);
                local.recordValue(System.nanoTime() - t0);
                Files.delete(dir.resolve("unique-" + round + ".jar"));
            }
            report.add(row(benchmark, "rfaas", provider, "cold-uncached", first.length, LatencyStats.of(uncached)));
            report.add(row(benchmark, "rfaas", provider, "cold-cached", first.length, LatencyStats.of(cached)));
            report.add(row(benchmark, "local", provider, "cold", first.length, LatencyStats.of(local)));
            for (String mode : List.of("hot", "warm")) {
                HotTimeout timeout = mode.equals("hot") ? HotTimeout.ofMicros(HOT_TIMEOUT_MICROS) : HotTimeout.ALWAYS_WARM;
                try (RemoteExecutor e = client.allocate(AllocationSpec.of(1, w.memoryMiB(), timeout, base, INPUT_CAPACITY,
                        OUTPUT_CAPACITY))) {
                    settle(node);
                    for (Map.Entry<String, byte[]> image : images.entrySet()) {
                        latency(report, benchmark, provider, mode, e, w, image.getKey(), image.getValue(), shape);
                    }
                }
            }
        } finally {
            FunctionPackages.deleteTree(dir);
        }
    }

    /** Alternating rFaaS calls and local runs of one image; the outputs must agree. */
    private static void latency(Report report, String benchmark, String provider, String mode, RemoteExecutor e,
            SebsWorkload w, String label, byte[] image, Shape shape) throws Exception {
        byte[] input = w.input(image);
        byte[] remoteOut = e.invoke(w.function(), input);
        byte[] localOut = w.runLocal(image);
        if (!w.same(remoteOut, localOut)) {
            throw new IllegalStateException(w.function() + " on " + label + ": the executor's output differs from the"
                    + " local run's");
        }
        Histogram remote = LatencyStats.newHistogram();
        Histogram local = LatencyStats.newHistogram();
        long[] differences = new long[shape.samples()];
        for (int i = -shape.warmups(); i < shape.samples(); i++) {
            long t0 = System.nanoTime();
            e.invoke(w.function(), input);
            long t1 = System.nanoTime();
            w.runLocal(image);
            long t2 = System.nanoTime();
            if (i >= 0) {
                remote.recordValue(t1 - t0);
                local.recordValue(t2 - t1);
                differences[i] = (t1 - t0) - (t2 - t1);
            }
        }
        // Median of the per-pair differences: steadier than the difference of the medians when the
        // machine's load drifts during the row.
        Arrays.sort(differences);
        long paired = differences[differences.length / 2];
        String key = w.function() + " " + provider + " " + mode + " " + label;
        report.note("sebs_paired_overhead_ns " + key, paired);
        // Fastest call of each: what is left of the overhead when the other processes' load missed both.
        long fastest = remote.getMinValue() - local.getMinValue();
        report.note("sebs_fastest_overhead_ns " + key, fastest);
        report.add(row(benchmark, "rfaas", provider, mode, image.length, LatencyStats.of(remote)));
        report.add(row(benchmark, "local", provider, mode, image.length, LatencyStats.of(local)));
        LOG.info("{}: rFaaS median {} µs, local {} µs; median paired difference {} µs; fastest {} - {} = {} µs", key,
                LatencyStats.of(remote).medianNs() / 1000, LatencyStats.of(local).medianNs() / 1000, paired / 1000,
                remote.getMinValue() / 1000, local.getMinValue() / 1000, fastest / 1000);
    }

    /** Allocation request → first result, on a settled node; the lease is then released. */
    private static long coldStart(RfaasClient client, LocalNode node, FunctionPackage pkg, SebsWorkload w,
            byte[] input) throws Exception {
        settle(node);
        long t0 = System.nanoTime();
        try (RemoteExecutor e = client.allocate(AllocationSpec.of(1, w.memoryMiB(), HotTimeout.ofMicros(1_000), pkg,
                INPUT_CAPACITY, OUTPUT_CAPACITY))) {
            e.invoke(w.function(), input);
            return System.nanoTime() - t0;
        }
    }

    private static void settle(LocalNode node) throws InterruptedException {
        if (!node.awaitSettled(SETTLE_LIMIT)) {
            LOG.warn("the {} node has not settled after {} s; measuring anyway", node.transport(),
                    SETTLE_LIMIT.toSeconds());
        }
    }

    /** A copy of {@code baseJar} with one more entry, so that it hashes differently (zipfs copies the rest unchanged). */
    private static Path unique(Path baseJar, Path dir, int round) throws Exception {
        Path jar = dir.resolve("unique-" + round + ".jar");
        Files.copy(baseJar, jar);
        try (FileSystem zip = FileSystems.newFileSystem(URI.create("jar:" + jar.toUri()), Map.of())) {
            Files.writeString(zip.getPath("META-INF/rfaas-bench-nonce"), round + " " + System.nanoTime(),
                    StandardCharsets.UTF_8);
        }
        return jar;
    }

    private static Row row(String benchmark, String system, String provider, String mode, long bytes, LatencyStats s) {
        return new Row(benchmark, system, provider, mode, bytes, 1, s.count(), s.medianNs(), s.p99Ns(), 0);
    }
}
