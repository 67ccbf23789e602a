package org.rfaas.benchmarks.sebs;

import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.rfaas.benchmarks.suite.Plots;
import org.rfaas.benchmarks.suite.Report;
import org.rfaas.benchmarks.suite.Row;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One PNG per SeBS function ({@code sebs-<function>.png}): median latency vs image size for rFaaS
 * hot and warm on each transport, beside the same work in the client's process.
 */
public final class SebsPlots {
    private SebsPlots() {
    }

    /** Writes the plots of the {@code sebs-*} rows in {@code report}; returns the files. */
    public static List<Path> write(Report report, Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        for (String benchmark : report.rows().stream().map(Row::benchmark).filter(b -> b.startsWith("sebs-")).distinct()
                .toList()) {
            Map<String, List<Row>> lines = new LinkedHashMap<>();
            for (Row r : report.rows(benchmark)) {
                if (r.mode().equals("hot") || r.mode().equals("warm")) {
                    String name = r.system().equals("local") ? "local (beside " + r.provider() + " " + r.mode() + ")"
                            : "rfaas " + r.provider() + " " + r.mode();
                    lines.computeIfAbsent(name, k -> new ArrayList<>()).add(r);
                }
            }
            if (lines.isEmpty()) {
                continue;
            }
            XYChart c = Plots.chart(benchmark.substring("sebs-".length()) + ": latency per call vs JPEG size (median)",
                    "image [KiB]", "latency [ms]");
            for (Map.Entry<String, List<Row>> e : lines.entrySet()) {
                List<Row> pts = new ArrayList<>(e.getValue());
                pts.sort((a, b) -> Long.compare(a.bytes(), b.bytes()));
                c.addSeries(e.getKey(), pts.stream().mapToDouble(r -> r.bytes() / 1024.0).toArray(),
                        pts.stream().mapToDouble(r -> r.medianNs() / 1e6).toArray()).setMarker(SeriesMarkers.CIRCLE);
            }
            out.add(Plots.save(c, dir.resolve(benchmark + ".png")));
        }
        return out;
    }
}
