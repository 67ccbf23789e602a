package org.rfaas.benchmarks.invoke;

import org.HdrHistogram.Histogram;
import org.rfaas.benchmarks.common.Progress;
import org.rfaas.demo.support.LatencyStats;
import org.rfaas.demo.support.TextTable;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Pipelined throughput: rFaaS echo calls through a {@link org.rfaas.client.Pipeline} on one hot
 * leased core beside the raw transport's pipelined ping-pong ({@link RawPipelinedEcho}), at
 * {@link #DEPTHS} in flight and {@link #SIZES}, in alternating rounds (raw, rFaaS, rFaaS, raw, ...)
 * so that a disturbance of the machine hits both alike. Each system's result is the median over
 * its rounds of calls per second and of the per-call median and p99.
 */
public final class PipelineBench {
    /** Calls in flight. */
    public static final List<Integer> DEPTHS = List.of(1, 8, 64);
    /** Payloads. */
    public static final List<Integer> SIZES = List.of(8, 1024);
    /** Issue 20's targets: calls/s of pipelined 8 B over shm, and the share of the raw rate. */
    static final double SHM_TARGET_CALLS_PER_SECOND = 5_000_000;
    static final double RAW_SHARE_TARGET = 0.8;

    private PipelineBench() {
    }

    /** Progress steps of one provider. */
    public static int steps() {
        return DEPTHS.size() * SIZES.size();
    }

    /** Measures every depth and size on {@code provider}. */
    public static List<PipelineRow> measure(NodePool nodes, String provider, boolean quick, Progress progress)
            throws Exception {
        int rounds = quick ? 5 : 11;
        long roundNanos = (quick ? 40 : 150) * 1_000_000L;
        List<PipelineRow> rows = new ArrayList<>();
        progress.begin("starting raw and rFaaS pipelined " + provider);
        try (RawPipelinedEcho raw = RawPipelinedEcho.start(provider);
             RfaasPipelinedEcho rfaas = RfaasPipelinedEcho.start(nodes.node(provider))) {
            List<PipelinedLoop> pair = List.of(raw, rfaas);
            for (PipelinedLoop p : pair) { // JIT both loops at both sizes before the first round
                for (int bytes : SIZES) {
                    p.prepare(bytes);
                    warm(p, RawPipelinedEcho.MAX_DEPTH, quick ? 300_000_000L : 1_000_000_000L);
                }
            }
            for (int bytes : SIZES) {
                for (int depth : DEPTHS) {
                    progress.begin("pipelined " + provider + " " + TextTable.bytes(bytes) + " x" + depth);
                    rows.add(measurePoint(pair, provider, bytes, depth, rounds, roundNanos));
                    progress.step();
                }
            }
        }
        return rows;
    }

    private static PipelineRow measurePoint(List<PipelinedLoop> pair, String provider, int bytes, int depth, int rounds,
            long roundNanos) throws Exception {
        List<List<LatencyStats>> stats = List.of(new ArrayList<>(), new ArrayList<>());
        List<List<Double>> rates = List.of(new ArrayList<>(), new ArrayList<>());
        for (PipelinedLoop p : pair) {
            p.prepare(bytes);
        }
        Histogram h = LatencyStats.newHistogram();
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < pair.size(); k++) {
                int m = (r & 1) == 0 ? k : pair.size() - 1 - k;
                PipelinedLoop p = pair.get(m);
                warm(p, depth, 5_000_000L); // wakes a server that slept while the other system ran
                // size the round from a short probe so that it lasts about roundNanos
                long probe = 256L * depth;
                long probeNanos = Math.max(1, p.run(depth, probe, null));
                long calls = Math.max(1_000, (long) (probe * (double) roundNanos / probeNanos));
                h.reset();
                long elapsed = p.run(depth, calls, h);
                stats.get(m).add(LatencyStats.of(h));
                rates.get(m).add(calls * 1e9 / elapsed);
            }
        }
        LatencyStats raw = LatencyStats.medianOfRounds(stats.get(0));
        LatencyStats ours = LatencyStats.medianOfRounds(stats.get(1));
        return new PipelineRow(provider, "pipelined", bytes, depth, median(rates.get(1)), ours.medianNs(), ours.p99Ns(),
                median(rates.get(0)), raw.medianNs(), raw.p99Ns(), ours.count());
    }

    private static void warm(PipelinedLoop p, int depth, long nanos) throws Exception {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            p.run(depth, 128L * depth, null);
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    /** The table, then one line per target. */
    public static void print(List<PipelineRow> rows, PrintStream out) {
        if (rows.isEmpty()) {
            return;
        }
        TextTable t = new TextTable(List.of("provider", "bytes", "in flight", "calls/s", "median", "p99", "raw calls/s",
                "raw median", "raw p99", "of raw", "steady", "raw steady"), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        for (PipelineRow r : rows) {
            t.add(List.of(r.provider(), TextTable.bytes(r.bytes()), Integer.toString(r.depth()), rate(r.callsPerSecond()),
                    TextTable.ns(r.medianNs()), TextTable.ns(r.p99Ns()), rate(r.rawCallsPerSecond()),
                    TextTable.ns(r.rawMedianNs()), TextTable.ns(r.rawP99Ns()),
                    String.format(Locale.ROOT, "%.0f%%", 100 * r.ratio()), rate(r.steadyCallsPerSecond()),
                    rate(r.rawSteadyCallsPerSecond())));
        }
        out.println(t.render());
        out.println("pipelined: echo calls with N in flight on one leased core, completed by the caller's thread;"
                + " raw = the transport's pipelined ping-pong of the same depth, alternating rounds;"
                + " steady = in flight / median (the rate between stalls of a loaded machine)");
        for (PipelineRow r : rows) {
            if (r.depth() != DEPTHS.getLast() || r.bytes() != SIZES.getFirst()) {
                continue;
            }
            if (r.provider().equals("shm")) {
                out.printf(Locale.ROOT, "target shm        pipelined 8 B x%d: %s calls/s (want >= %s): %s%n", r.depth(),
                        rate(r.callsPerSecond()), rate(SHM_TARGET_CALLS_PER_SECOND),
                        r.callsPerSecond() >= SHM_TARGET_CALLS_PER_SECOND ? "MET" : "MISSED");
            }
            if (!r.provider().startsWith("fabric")) {
                out.printf(Locale.ROOT, "target %-10s pipelined 8 B x%d: %.0f%% of raw (want >= %.0f%%): %s%n",
                        r.provider(), r.depth(), 100 * r.ratio(), 100 * RAW_SHARE_TARGET,
                        r.ratio() >= RAW_SHARE_TARGET ? "MET" : "MISSED");
            }
        }
    }

    static String rate(double perSecond) {
        return perSecond >= 1e6 ? String.format(Locale.ROOT, "%.2f M", perSecond / 1e6)
                : String.format(Locale.ROOT, "%.0f k", perSecond / 1e3);
    }
}
