package org.rfaas.benchmarks.suite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.rfaas.demo.support.LatencyStats;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The writers of {@link Report}: CSV columns, summary.json schema, derived comparisons, PNGs. */
class ReportTest {

    private static Report sample() {
        Report r = new Report();
        for (long bytes : List.of(1L, 1024L, 1L << 20)) {
            r.add(Row.latency("raw", "shm", "hot", bytes, stats(200 + bytes / 100, 400 + bytes / 50)));
            r.add(Row.latency("rfaas", "shm", "hot", bytes, stats(500 + bytes / 100, 900 + bytes / 50)));
            r.add(Row.latency("rfaas", "tcp", "warm", bytes, stats(50_000 + bytes, 90_000 + bytes)));
            r.add(Row.latency("grpc", "netty-tcp", "default", bytes, stats(150_000 + bytes, 400_000)));
        }
        r.add(new Row("scaling", "rfaas", "shm", "hot", 1024, 4, 1000, 2_000, 5_000, 2e6));
        r.add(new Row("cold", "rfaas", "shm", "spawn", 0, 1, 10, 40_000_000, 60_000_000, 0));
        BenchAll.deriveBandwidth(r);
        r.note("machine", Machine.describe());
        return r;
    }

    @Test
    void writesCsvPerBenchmarkSummaryAndPlots(@TempDir Path dir) throws Exception {
        Report r = sample();
        List<Path> files = r.write(dir);
        for (String name : List.of("summary.json", "latency.csv", "bandwidth.csv", "scaling.csv", "cold.csv",
                "latency.png", "bandwidth.png", "scaling.png")) {
            Path f = dir.resolve(name);
            assertTrue(files.contains(f), name + " reported as written");
            assertTrue(Files.size(f) > 0, name + " is not empty");
        }
        for (String png : List.of("latency.png", "bandwidth.png", "scaling.png")) {
            byte[] head = new byte[4];
            System.arraycopy(Files.readAllBytes(dir.resolve(png)), 0, head, 0, 4);
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, head, png + " is a PNG");
        }
    }

    @Test
    void summaryRowsCarryTheSchemaAndComparisons(@TempDir Path dir) throws Exception {
        Report r = sample();
        r.write(dir);
        JsonNode summary = new ObjectMapper().readTree(dir.resolve("summary.json").toFile());
        JsonNode rows = summary.get("rows");
        assertEquals(r.rows().size(), rows.size());
        for (JsonNode row : rows) {
            for (String field : List.of("system", "provider", "mode", "bytes", "median_ns", "p99_ns")) {
                assertTrue(row.has(field), "row has " + field + ": " + row);
            }
        }
        JsonNode rfaas1k = find(rows, "latency", "rfaas", "shm", 1024);
        assertEquals(210, rfaas1k.get("raw_median_ns").asLong());
        assertEquals(510 - 210, rfaas1k.get("overhead_ns").asLong(), "overhead = ours - raw");
        JsonNode warm = find(rows, "latency", "rfaas", "tcp", 1024);
        assertTrue(warm.get("overhead_ns").isNull(), "no raw tcp warm row, so no overhead is invented");
        JsonNode grpc1k = find(rows, "latency", "grpc", "netty-tcp", 1024);
        assertEquals(Math.round(151_024 / 510.0 * 100) / 100.0, grpc1k.get("ratio_vs_rfaas_shm_hot").asDouble(), 1e-9);
        JsonNode bw = find(rows, "bandwidth", "rfaas", "shm", 1L << 20);
        assertEquals((1L << 20) / (bw.get("median_ns").asLong() / 2e9), bw.get("throughput").asDouble(), 1.0);
    }

    @Test
    void csvHasOneLinePerRowAndTheDerivedColumns(@TempDir Path dir) throws Exception {
        Report r = sample();
        r.write(dir);
        List<String> lines = Files.readAllLines(dir.resolve("latency.csv"));
        assertEquals(1 + r.rows("latency").size(), lines.size());
        List<String> header = List.of(lines.getFirst().split(","));
        assertTrue(header.containsAll(List.of("system", "provider", "mode", "bytes", "median_ns", "p99_ns",
                "raw_median_ns", "overhead_ns", "ratio_vs_rfaas_shm_hot")), header.toString());
        for (String line : lines) {
            assertEquals(header.size(), line.split(",", -1).length, "every line has every column: " + line);
        }
    }

    @Test
    void tablePrintsMedianAndP99AndRatios() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        sample().printTable(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String table = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(table.contains("median") && table.contains("p99"), table);
        assertTrue(table.contains("overhead 300 ns"), table);
        assertTrue(table.contains("x rFaaS shm hot"), table);
    }

    private static LatencyStats stats(long median, long p99) {
        return new LatencyStats(100, median / 2, median, median, p99, p99 * 2);
    }

    private static JsonNode find(JsonNode rows, String benchmark, String system, String provider, long bytes) {
        for (JsonNode row : rows) {
            if (row.get("benchmark").asText().equals(benchmark) && row.get("system").asText().equals(system)
                    && row.get("provider").asText().equals(provider) && row.get("bytes").asLong() == bytes) {
                return row;
            }
        }
        throw new AssertionError("no row " + benchmark + " " + system + " " + provider + " " + bytes);
    }
}
