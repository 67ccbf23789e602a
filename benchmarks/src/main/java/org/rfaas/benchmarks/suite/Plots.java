package org.rfaas.benchmarks.suite;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * PNG plots of a {@link Report}: latency vs payload on log-log axes with every system as a line
 * (the shape of the rFaaS paper's comparison figure), bandwidth vs payload, and scaling vs cores.
 */
public final class Plots {
    private Plots() {
    }

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** Writes the plots whose benchmarks have rows; returns the files written. */
    public static List<Path> write(Report report, Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        List<Row> latency = report.rows("latency");
        if (!latency.isEmpty()) {
            XYChart c = chart("Round trip of an echo function vs payload (median, loopback)", "payload [bytes]", "latency [µs]");
            c.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true);
            series(c, latency, Row::bytes, r -> r.medianNs() / 1e3);
            out.add(save(c, dir.resolve("latency.png")));
        }
        List<Row> bandwidth = report.rows("bandwidth");
        if (!bandwidth.isEmpty()) {
            XYChart c = chart("One-way bandwidth at the median round trip", "payload [bytes]", "bandwidth [GB/s]");
            c.getStyler().setXAxisLogarithmic(true);
            series(c, bandwidth, Row::bytes, r -> r.throughput() / 1e9);
            out.add(save(c, dir.resolve("bandwidth.png")));
        }
        List<Row> scaling = report.rows("scaling");
        if (!scaling.isEmpty()) {
            XYChart c = chart("Parallel invocations (scatter): throughput vs cores", "cores", "invocations per second");
            series(c, scaling, Row::cores, Row::throughput);
            out.add(save(c, dir.resolve("scaling.png")));
        }
        out.addAll(org.rfaas.benchmarks.sebs.SebsPlots.write(report, dir));
        return out;
    }

    /** A chart with the suite's size and legend placement. */
    public static XYChart chart(String title, String x, String y) {
        XYChart c = new XYChartBuilder().width(1000).height(640).title(title).xAxisTitle(x).yAxisTitle(y).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE).setMarkerSize(6);
        return c;
    }

    /** One line per system/provider/mode (and bytes, for scaling), points sorted along x. */
    private static void series(XYChart c, List<Row> rows, Function<Row, Number> x, ToDoubleFunction<Row> y) {
        Map<String, List<Row>> lines = new LinkedHashMap<>();
        for (Row r : rows) {
            String name = label(r) + (r.benchmark().equals("scaling") ? " " + Report.bytes(r.bytes()) : "");
            lines.computeIfAbsent(name, k -> new ArrayList<>()).add(r);
        }
        for (Map.Entry<String, List<Row>> e : lines.entrySet()) {
            List<Row> pts = new ArrayList<>(e.getValue());
            pts.sort((a, b) -> Double.compare(x.apply(a).doubleValue(), x.apply(b).doubleValue()));
            double[] xs = pts.stream().mapToDouble(r -> x.apply(r).doubleValue()).toArray();
            double[] ys = pts.stream().mapToDouble(y).map(v -> Math.max(v, 1e-3)).toArray();
            var s = c.addSeries(e.getKey(), xs, ys);
            s.setMarker(SeriesMarkers.CIRCLE);
        }
    }

    /** The legend name of a row's system. */
    static String label(Row r) {
        return Report.PEERS.contains(r.system()) ? r.system() : r.system() + " " + r.provider() + " " + r.mode();
    }

    /** Writes {@code c} as a PNG. */
    public static Path save(XYChart c, Path file) throws IOException {
        try (OutputStream os = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(c, os, BitmapEncoder.BitmapFormat.PNG);
        }
        return file;
    }
}
