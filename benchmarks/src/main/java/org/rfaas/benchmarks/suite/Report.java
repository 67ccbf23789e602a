package org.rfaas.benchmarks.suite;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The results of one benchmark run and everything written from them: one CSV per benchmark,
 * {@code summary.json}, the PNG plots ({@link Plots}) and the table on stdout.
 *
 * <p>Comparisons are derived here, from rows measured in the same run: an {@code rfaas} row gets the
 * {@code raw} row of the same provider, mode and size (overhead = ours − raw); a peer row gets its
 * ratio to rFaaS hot on each provider at the same size.
 */
public final class Report {
    /** Systems that are not rFaaS and not the raw transport. */
    public static final List<String> PEERS = List.of("grpc", "hazelcast", "http-gateway");

    private final List<Row> rows = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Object> context = new LinkedHashMap<>();

    /** Adds a measurement. */
    public void add(Row row) {
        rows.add(row);
    }

    /** Adds a fact about the run (command, machine, notes) to {@code summary.json}. */
    public void note(String key, Object value) {
        context.put(key, value);
    }

    /** The facts noted about the run. */
    public Map<String, Object> context() {
        return context;
    }

    /** All rows, in the order they were measured. */
    public List<Row> rows() {
        synchronized (rows) {
            return List.copyOf(rows);
        }
    }

    /** The rows of one benchmark. */
    public List<Row> rows(String benchmark) {
        return rows().stream().filter(r -> r.benchmark().equals(benchmark)).toList();
    }

    /**
     * The baseline row matching an rFaaS row, if measured: the raw transport's, or for the SeBS
     * functions ({@code sebs-*}) the same work done in the client's process ({@code local}).
     */
    public Optional<Row> rawFor(Row r) {
        String baseline = r.benchmark().startsWith("sebs-") ? "local" : "raw";
        return rows().stream().filter(x -> x.system().equals(baseline) && x.provider().equals(r.provider())
                && x.sizeKey().equals(r.sizeKey())).findFirst();
    }

    /** rFaaS hot latency on {@code provider} at {@code bytes}, if measured. */
    public Optional<Row> rfaasHot(String provider, long bytes) {
        return rows().stream().filter(x -> x.benchmark().equals("latency") && x.system().equals("rfaas")
                && x.provider().equals(provider) && x.mode().equals("hot") && x.bytes() == bytes).findFirst();
    }

    /**
     * An rFaaS bandwidth row's bandwidth as a fraction of the raw transport's at the same
     * provider, mode and size (empty for other rows, or when raw was not measured).
     */
    public Optional<Double> fractionOfRaw(Row r) {
        if (!r.benchmark().equals("bandwidth") || !r.system().equals("rfaas")) {
            return Optional.empty();
        }
        return rows("bandwidth").stream().filter(x -> x.system().equals("raw") && x.provider().equals(r.provider())
                        && x.mode().equals(r.mode()) && x.bytes() == r.bytes() && x.throughput() > 0)
                .findFirst().map(x -> r.throughput() / x.throughput());
    }

    /** Providers that rFaaS rows were measured on, in measuring order. */
    public List<String> rfaasProviders() {
        return rows().stream().filter(r -> r.system().equals("rfaas")).map(Row::provider).distinct().toList();
    }

    /** A row with its derived comparisons, as written to JSON and CSV. */
    public Map<String, Object> derived(Row r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("benchmark", r.benchmark());
        m.put("system", r.system());
        m.put("provider", r.provider());
        m.put("mode", r.mode());
        m.put("bytes", r.bytes());
        m.put("cores", r.cores());
        m.put("samples", r.samples());
        m.put("median_ns", r.medianNs());
        m.put("p99_ns", r.p99Ns());
        m.put("throughput", r.throughput());
        if (r.system().equals("rfaas")) {
            Optional<Row> raw = rawFor(r);
            m.put("raw_median_ns", raw.map(Row::medianNs).orElse(null));
            m.put("overhead_ns", raw.map(x -> r.medianNs() - x.medianNs()).orElse(null));
        }
        if (PEERS.contains(r.system()) && r.benchmark().equals("latency")) {
            for (String p : rfaasProviders()) {
                m.put("ratio_vs_rfaas_" + p + "_hot", rfaasHot(p, r.bytes())
                        .map(x -> round2((double) r.medianNs() / Math.max(1, x.medianNs()))).orElse(null));
            }
        }
        return m;
    }

    private static double round2(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** Writes {@code summary.json}, one CSV per benchmark and the plots into {@code dir}. */
    public List<Path> write(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("generated", Instant.now().toString());
        summary.putAll(context);
        summary.put("rows", rows().stream().map(this::derived).toList());
        Path json = dir.resolve("summary.json");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), summary);
        written.add(json);
        for (String benchmark : rows().stream().map(Row::benchmark).distinct().toList()) {
            Path csv = dir.resolve(benchmark + ".csv");
            writeCsv(csv, rows(benchmark).stream().map(this::derived).toList());
            written.add(csv);
        }
        written.addAll(Plots.write(this, dir));
        return written;
    }

    static void writeCsv(Path file, List<Map<String, Object>> records) throws IOException {
        TreeSet<String> seen = new TreeSet<>();
        List<String> columns = new ArrayList<>();
        for (Map<String, Object> r : records) {
            for (String k : r.keySet()) {
                if (seen.add(k)) {
                    columns.add(k);
                }
            }
        }
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write(String.join(",", columns));
            w.write('\n');
            for (Map<String, Object> r : records) {
                List<String> cells = new ArrayList<>();
                for (String c : columns) {
                    Object v = r.get(c);
                    cells.add(v == null ? "" : csvCell(v.toString()));
                }
                w.write(String.join(",", cells));
                w.write('\n');
            }
        }
    }

    private static String csvCell(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** Prints the table: one block per benchmark, median and p99 on every row, comparisons beside. */
    public void printTable(PrintStream out) {
        for (String benchmark : rows().stream().map(Row::benchmark).distinct().toList()) {
            out.println();
            out.println("== " + benchmark);
            boolean scaling = benchmark.equals("scaling") || benchmark.equals("pipelined");
            boolean bandwidth = benchmark.equals("bandwidth");
            out.printf(Locale.ROOT, "%-13s %-14s %-10s %8s %5s %11s %11s  %s%n", "system", "provider", "mode", "bytes",
                    "cores", "median", "p99", bandwidth ? "bandwidth" : scaling ? "throughput" : "compared");
            for (Row r : rows(benchmark)) {
                String extra;
                if (bandwidth) {
                    extra = String.format(Locale.ROOT, "%.2f GB/s", r.throughput() / 1e9)
                            + fractionOfRaw(r).map(f -> String.format(Locale.ROOT, ", %.0f%% of raw", 100 * f)).orElse("");
                } else if (scaling) {
                    extra = String.format(Locale.ROOT, "%.0f calls/s", r.throughput());
                } else {
                    extra = compared(r);
                }
                out.printf(Locale.ROOT, "%-13s %-14s %-10s %8s %5d %11s %11s  %s%n", r.system(), r.provider(), r.mode(),
                        bytes(r.bytes()), r.cores(), time(r.medianNs()), time(r.p99Ns()), extra);
            }
        }
        out.println();
    }

    private String compared(Row r) {
        Map<String, Object> d = derived(r);
        StringBuilder sb = new StringBuilder();
        if (d.get("overhead_ns") instanceof Long o) {
            sb.append("raw ").append(time((Long) d.get("raw_median_ns"))).append(", overhead ").append(time(o));
        }
        for (Map.Entry<String, Object> e : d.entrySet()) {
            if (e.getKey().startsWith("ratio_vs_rfaas_") && e.getValue() != null) {
                String p = e.getKey().substring("ratio_vs_rfaas_".length(), e.getKey().length() - "_hot".length());
                if (!sb.isEmpty()) {
                    sb.append(", ");
                }
                sb.append(String.format(Locale.ROOT, "%.1fx rFaaS %s hot", (Double) e.getValue(), p));
            }
        }
        return sb.toString();
    }

    /** {@code 1.23 µs}, {@code 45.6 ms}: a duration in a width-stable human form. */
    public static String time(long ns) {
        if (ns < 10_000) {
            return ns + " ns";
        }
        if (ns < 10_000_000) {
            return String.format(Locale.ROOT, "%.1f µs", ns / 1e3);
        }
        if (ns < 10_000_000_000L) {
            return String.format(Locale.ROOT, "%.1f ms", ns / 1e6);
        }
        return String.format(Locale.ROOT, "%.1f s", ns / 1e9);
    }

    /** {@code 64 KiB}: a size in binary units. */
    public static String bytes(long b) {
        if (b >= (1 << 20) && b % (1 << 20) == 0) {
            return (b >> 20) + " MiB";
        }
        if (b >= 1024 && b % 1024 == 0) {
            return (b >> 10) + " KiB";
        }
        return b + " B";
    }
}
