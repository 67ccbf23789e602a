package org.rfaas.benchmarks.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.rfaas.benchmarks.leases.LeaseBenchmark;
import org.rfaas.rmclient.ResourceManagerClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rfaas bench leases}: lease grant + release round trips against a resource manager it starts. */
@Command(name = "leases", mixinStandardHelpOptions = true,
        description = {"Lease grant + release round trips per second and their latency (HdrHistogram),",
            "with 1 and 8 concurrent clients, against a resource manager started for the run (loopback HTTP, H2 file)."})
public final class BenchLeasesCommand implements Callable<Integer> {
    @Option(names = "--json", paramLabel = "FILE", description = "Also write the rows as JSON.")
    Path json;

    @Option(names = "--seconds", defaultValue = "5", description = "Measurement time per concurrency level (default ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--warmup-seconds", defaultValue = "2", description = "Warm-up time per level (default ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--clients", split = ",", defaultValue = "1,8", description = "Concurrency levels (default ${DEFAULT-VALUE}).")
    int[] clients;

    @Option(names = "--database-url", paramLabel = "JDBC", description = "Database of the resource manager (default: a durable H2 file in a temporary directory).")
    String databaseUrl;

    @Override
    public Integer call() throws Exception {
        List<LeaseBenchmark.Row> rows = new LeaseBenchmark((long) (warmupSeconds * 1000), (long) (seconds * 1000), databaseUrl).run(clients);
        System.out.printf("%-8s %10s %14s %14s %12s %16s %18s%n", "clients", "pairs", "pairs/s", "median µs", "p99 µs",
                "grant median µs", "release median µs");
        for (LeaseBenchmark.Row r : rows) {
            System.out.printf("%-8d %10d %14.0f %14.1f %12.1f %16.1f %18.1f%n", r.clients(), r.pairs(), r.pairsPerSecond(),
                    r.pairMedianUs(), r.pairP99Us(), r.grantMedianUs(), r.releaseMedianUs());
        }
        if (json != null) {
            List<Map<String, Object>> out = new java.util.ArrayList<>();
            for (LeaseBenchmark.Row r : rows) {
                Map<String, Object> m = new java.util.LinkedHashMap<>();
                m.put("clients", r.clients());
                m.put("pairs", r.pairs());
                m.put("pairs_per_s", r.pairsPerSecond());
                m.put("median_ns", Math.round(r.pairMedianUs() * 1e3));
                m.put("p99_ns", Math.round(r.pairP99Us() * 1e3));
                m.put("grant_median_ns", Math.round(r.grantMedianUs() * 1e3));
                m.put("release_median_ns", Math.round(r.releaseMedianUs() * 1e3));
                m.put("database", databaseUrl == null ? "h2-file-durable" : databaseUrl);
                out.add(m);
            }
            Files.writeString(json, ResourceManagerClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
        }
        return 0;
    }
}
