package org.rfaas.benchmarks.invoke;

import org.rfaas.demo.support.FunctionPackages;
import org.rfaas.benchmarks.common.JsonRows;
import org.rfaas.demo.support.LatencyStats;
import org.rfaas.benchmarks.common.Progress;
import org.rfaas.demo.support.TextTable;
import org.rfaas.benchmarks.suite.LatencyHarness;
import org.rfaas.benchmarks.suite.Report;
import org.rfaas.benchmarks.suite.RoundTrip;
import org.rfaas.client.FunctionPackage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code rfaas bench invoke}: for each provider, hot and warm rFaaS round trips of the echo function
 * beside the raw transport ping-pong of the same size and mode (measured in alternating rounds, see
 * {@link LatencyHarness}), cold starts over a running executor manager, and pipelined throughput
 * beside the raw pipelined ping-pong ({@link PipelineBench}).
 */
public final class BenchInvoke {
    private static final Logger LOG = LoggerFactory.getLogger(BenchInvoke.class);

    /** Payloads of the invocation benchmark. */
    public static final List<Integer> SIZES = List.of(1, 1024, 64 << 10, 1 << 20, 5 << 20, 16 << 20);
    /** Payloads from which the bandwidth table and its target apply. */
    static final int BANDWIDTH_FROM = 64 << 10;
    /** Target of issue 22: rFaaS moves large payloads at this fraction of the raw transport's bandwidth. */
    static final double BANDWIDTH_TARGET = 0.90;
    /** Targets of issue 3. */
    static final long HOT_OVERHEAD_TARGET_NS = 350;
    static final long WARM_OVERHEAD_TARGET_NS = 5_000;
    /** Cold start from a spare executor (issue #20): median and p99. */
    static final long COLD_TARGET_NS = 5_000_000;
    static final long COLD_P99_TARGET_NS = 15_000_000;
    /** Cold start without a spare: the lease forks its executor JVM. */
    static final long COLD_FORKED_TARGET_NS = 150_000_000;
    /** An overhead below minus this says the raw measurement was disturbed, not that rFaaS beat it. */
    static final long NOISE_NS = 1_000;

    /**
     * What to run.
     *
     * @param quick shorter measurements and 10 cold starts (instead of 20)
     * @param providers transports to measure
     * @param json where to write the rows, or null
     * @param parts which parts to run: {@code latency} (hot and warm round trips), {@code cold}
     *     (from a spare executor), {@code cold-forked} (no spare: each lease forks its executor JVM),
     *     {@code pipelined}, {@code scaling} (scatter over 1, 2, 8 cores beside k blocking calls); empty for all
     * @param sizes payloads to measure ({@link #SIZES} by default)
     */
    public record Options(boolean quick, List<String> providers, Path json, java.util.Set<String> parts,
            List<Integer> sizes) {
        public Options {
            parts = java.util.Set.copyOf(parts);
            sizes = List.copyOf(sizes);
            for (String p : parts) {
                if (!List.of("latency", "cold", "cold-forked", "pipelined", "scaling").contains(p)) {
                    throw new IllegalArgumentException("unknown part " + p
                            + "; use latency, cold, cold-forked, pipelined or scaling");
                }
            }
        }

        /** Every part at the default sizes. */
        public Options(boolean quick, List<String> providers, Path json) {
            this(quick, providers, json, java.util.Set.of(), SIZES);
        }

        boolean runs(String part) {
            return parts.isEmpty() || parts.contains(part);
        }

        LatencyHarness.Budget budget() {
            return quick
                    ? new LatencyHarness.Budget(9, 100, 30_000, 10, Duration.ofMillis(900).toNanos())
                    : new LatencyHarness.Budget(15, 300, 300_000, 20, Duration.ofMillis(3_500).toNanos());
        }

        int coldStarts() {
            return quick ? 10 : 20;
        }

        /** Each forks a JVM and the node settles for a while after it: fewer. */
        int forkedColdStarts() {
            return quick ? 5 : 10;
        }

        /**
         * Untimed calls before the first row of a pair, a quarter each for both systems at 1 B and
         * at 1 KiB: too short a warm-up leaves the first measured row slower than every later one,
         * whatever its size (see docs/journal/2026-11-performance.md).
         */
        long warmupNanos() {
            return Duration.ofMillis(quick ? 4_000 : 8_000).toNanos();
        }
    }

    private BenchInvoke() {
    }

    /** Runs the benchmark, prints the table to {@code out}; returns the rows. */
    public static List<InvokeRow> run(Options o, PrintStream out) throws Exception {
        List<InvokeRow> rows = new ArrayList<>();
        List<PipelineRow> pipelined = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        int steps = o.providers().size() * ((o.runs("latency") ? 2 * o.sizes().size() : 0) + (o.runs("cold") ? 1 : 0) + (o.runs("cold-forked") ? 1 : 0)
                + (o.runs("pipelined") ? PipelineBench.steps() : 0))
                + (o.runs("scaling") ? o.providers().size() * ScalingSection.points(o.quick()).size() : 0);
        Report scaling = new Report();
        try (Progress progress = Progress.start("bench invoke", steps); NodePool nodes = new NodePool()) {
            for (String provider : o.providers()) {
                if (o.runs("latency")) {
                    for (String mode : List.of("hot", "warm")) {
                        measurePair(nodes, provider, mode, o, rows, failures, progress);
                    }
                }
                if (o.runs("cold")) {
                    progress.begin(provider + " cold starts");
                    try {
                        rows.addAll(cold(nodes.node(provider), "cold", o.coldStarts()));
                    } catch (Exception e) {
                        LOG.error("{} cold starts failed", provider, e);
                        failures.add(provider + " cold: " + e);
                    }
                    progress.step();
                }
                if (o.runs("cold-forked")) {
                    progress.begin(provider + " cold starts without a spare");
                    try {
                        rows.addAll(cold(nodes.forkingNode(provider), "cold-forked", o.forkedColdStarts()));
                    } catch (Exception e) {
                        LOG.error("{} cold starts without a spare failed", provider, e);
                        failures.add(provider + " cold-forked: " + e);
                    }
                    progress.step();
                }
                if (o.runs("pipelined")) {
                    try {
                        List<PipelineRow> measured = PipelineBench.measure(nodes, provider, o.quick(), progress);
                        pipelined.addAll(measured);
                        PipelineBench.print(measured, out); // as it comes: the run is long
                    } catch (Exception e) {
                        LOG.error("{} pipelined failed", provider, e);
                        failures.add(provider + " pipelined: " + e);
                    }
                }
            }
            if (o.runs("scaling")) {
                try {
                    new ScalingSection(o.providers(), nodes).run(scaling, progress, o.quick());
                } catch (Exception e) {
                    LOG.error("scaling failed", e);
                    failures.add("scaling: " + e);
                }
            }
        }
        if (!scaling.rows().isEmpty()) {
            scaling.printTable(out);
            scaling.context().forEach((k, v) -> out.println(k + ": " + v));
        }
        if (!rows.isEmpty()) {
            print(rows, out);
        }
        failures.forEach(f -> out.println("FAILED: " + f));
        if (o.json() != null) {
            List<Object> all = new ArrayList<>(rows);
            all.addAll(pipelined);
            all.addAll(scaling.rows());
            JsonRows.write(o.json(), all);
            out.println("wrote " + all.size() + " rows to " + o.json());
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException(failures.size() + " measurements failed; see above");
        }
        return rows;
    }

    private static void measurePair(NodePool nodes, String provider, String mode, Options o, List<InvokeRow> rows, List<String> failures,
                                    Progress progress) {
        progress.begin("starting raw and rFaaS " + provider + " " + mode);
        try (RoundTrip raw = RawEcho.start(provider, mode); RoundTrip rfaas = RfaasEcho.start(nodes.node(provider), mode)) {
            List<RoundTrip> pair = List.of(raw, rfaas);
            // Warm up at the smallest and at 1 KiB: small messages take other code paths (shm
            // carries them inline in the ring entry), which would otherwise compile during the
            // first measured row.
            for (RoundTrip rt : pair) {
                LatencyHarness.warmUp(rt, SIZES.getFirst(), o.warmupNanos() / 4);
                LatencyHarness.warmUp(rt, 1024, o.warmupNanos() / 4);
            }
            for (int bytes : o.sizes()) {
                progress.begin(provider + " " + mode + " " + TextTable.bytes(bytes));
                List<List<LatencyStats>> rounds = LatencyHarness.measureRounds(pair, bytes, o.budget());
                LatencyStats r = LatencyStats.medianOfRounds(rounds.get(0));
                LatencyStats ours = LatencyStats.medianOfRounds(rounds.get(1));
                rows.add(new InvokeRow(provider, mode, bytes, ours.medianNs(), ours.p99Ns(), r.medianNs(), r.p99Ns(),
                        LatencyStats.pairedMedianDifference(rounds.get(1), rounds.get(0)), ours.count()));
                progress.step();
            }
        } catch (Exception e) {
            LOG.error("{} {} failed", provider, mode, e);
            failures.add(provider + " " + mode + ": " + e);
        }
    }

    /** The cold-start row ({@code mode}: request to first result), then one row per phase ({@code mode:<phase>}). */
    private static List<InvokeRow> cold(LocalNode node, String mode, int allocations) throws Exception {
        Path dir = Files.createTempDirectory("rfaas-bench-cold-");
        try {
            FunctionPackage pkg = FunctionPackage.jar(FunctionPackages.javaJar(dir));
            Map<String, LatencyStats> phases = ColdStart.measure(node, pkg, allocations);
            List<InvokeRow> rows = new ArrayList<>();
            LatencyStats total = phases.get("total");
            rows.add(new InvokeRow(node.transport(), mode, 0, total.medianNs(), total.p99Ns(), null, null, null,
                    total.count()));
            phases.forEach((phase, s) -> {
                if (!phase.equals("total")) {
                    rows.add(new InvokeRow(node.transport(), mode + ":" + phase, 0, s.medianNs(), s.p99Ns(), null, null, null,
                            s.count()));
                }
            });
            return rows;
        } finally {
            FunctionPackages.deleteTree(dir);
        }
    }

    /** The table, then one line per target. */
    static void print(List<InvokeRow> rows, PrintStream out) {
        TextTable t = new TextTable(List.of("provider", "mode", "bytes", "median", "p99", "raw median", "overhead"),
                2, 3, 4, 5, 6);
        for (InvokeRow r : rows) {
            t.add(List.of(r.provider(), r.mode(), r.mode().startsWith("cold") ? "-" : TextTable.bytes(r.bytes()),
                    TextTable.ns(r.medianNs()), TextTable.ns(r.p99Ns()),
                    r.rawMedianNs() == null ? "-" : TextTable.ns(r.rawMedianNs()),
                    r.overheadNs() == null ? "-" : signedNs(r.overheadNs())));
        }
        out.println(t.render());
        out.println("overhead = rFaaS - raw, the median over the alternating rounds of the difference of the two round"
                + " medians");
        printBandwidth(rows, out);
        for (InvokeRow r : rows) {
            String verdict = switch (r.mode()) {
                case "hot" -> r.bytes() <= 1024 && !r.provider().startsWith("fabric")
                        ? target("hot overhead", r.overheadNs(), HOT_OVERHEAD_TARGET_NS) : null;
                case "warm" -> r.bytes() <= 1024 ? target("warm overhead", r.overheadNs(), WARM_OVERHEAD_TARGET_NS) : null;
                case "cold" -> target("cold start median", r.medianNs(), COLD_TARGET_NS) + "; "
                        + target("p99", r.p99Ns(), COLD_P99_TARGET_NS);
                case "cold-forked" -> target("cold start median", r.medianNs(), COLD_FORKED_TARGET_NS);
                default -> null;
            };
            if (verdict != null) {
                out.printf(Locale.ROOT, "target %-10s %-4s %7s: %s%n", r.provider(), r.mode(),
                        r.mode().startsWith("cold") ? "" : TextTable.bytes(r.bytes()), verdict);
            }
        }
    }

    /**
     * One-way bandwidth (payload / half the round trip) of rFaaS and of the raw transport from
     * {@value #BANDWIDTH_FROM} B on, and rFaaS as a fraction of raw (median, from the paired
     * overhead: {@link InvokeRow#bandwidthFraction}; and p99), then one target line per row.
     */
    static void printBandwidth(List<InvokeRow> rows, PrintStream out) {
        List<InvokeRow> large = rows.stream().filter(r -> r.bytes() >= BANDWIDTH_FROM && r.bandwidthFraction() != null)
                .toList();
        if (large.isEmpty()) {
            return;
        }
        TextTable t = new TextTable(List.of("provider", "mode", "bytes", "rFaaS", "raw", "rFaaS/raw median",
                "rFaaS/raw p99"), 2, 3, 4, 5, 6);
        for (InvokeRow r : large) {
            t.add(List.of(r.provider(), r.mode(), TextTable.bytes(r.bytes()), gbps(r.bytes(), r.medianNs()),
                    gbps(r.bytes(), r.rawMedianNs()), percent(r.bandwidthFraction()),
                    percent(r.p99Ns() <= 0 ? 0 : (double) r.rawP99Ns() / r.p99Ns())));
        }
        out.println();
        out.println("bandwidth (one way, payload / half the median round trip), rFaaS beside the raw transport;"
                + " rFaaS/raw median = raw / (raw + the paired overhead above):");
        out.println(t.render());
        for (InvokeRow r : large) {
            double f = r.bandwidthFraction();
            out.printf(Locale.ROOT, "target %-10s %-4s %7s: bandwidth rFaaS/raw %s (want >= %s): %s%n", r.provider(),
                    r.mode(), TextTable.bytes(r.bytes()), percent(f), percent(BANDWIDTH_TARGET),
                    f >= BANDWIDTH_TARGET ? "MET" : "MISSED");
        }
    }

    private static String gbps(long bytes, long roundTripNs) {
        return roundTripNs <= 0 ? "-" : String.format(Locale.ROOT, "%.2f GB/s", bytes / (roundTripNs / 2.0));
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.0f%%", 100 * fraction);
    }

    /** Like {@link TextTable#ns} but keeps the sign: rFaaS may beat a noisy raw round. */
    static String signedNs(long ns) {
        return ns < 0 ? "-" + TextTable.ns(-ns) : TextTable.ns(ns);
    }

    private static String target(String what, long value, long limit) {
        String verdict = value < -NOISE_NS ? "NOT MEASURED (the raw rounds were slower than ours: a disturbed run, repeat it)"
                : value <= limit ? "MET" : "MISSED";
        return what + " " + signedNs(value) + " (want <= " + TextTable.ns(limit) + "): " + verdict;
    }
}
