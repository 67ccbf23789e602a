package org.rfaas.benchmarks.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.rfaas.benchmarks.leases.LeaseBenchmark;
import org.rfaas.rmclient.ResourceManagerClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rfaas bench leases}: lease grant + release cycles against a resource manager it starts. */
@Command(name = "leases", mixinStandardHelpOptions = true,
        description = {"Lease grant + release cycles per second and their latency (HdrHistogram): single leases with",
            "1/8/32/128 concurrent clients and batches, over HTTP and in process, against a resource manager started",
            "for the run (durable H2 file by default) with 10,000 simulated nodes registered through the API."})
public final class BenchLeasesCommand implements Callable<Integer> {
    @Option(names = "--json", paramLabel = "FILE", description = "Also write the rows as JSON.")
    Path json;

    @Option(names = "--seconds", defaultValue = "3", description = "Measurement time per level (default ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--warmup-seconds", defaultValue = "1", description = "Warm-up time per level (default ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--clients", split = ",", defaultValue = "1,8,32,128",
            description = "Concurrency levels of single leases (default ${DEFAULT-VALUE}).")
    int[] clients;

    @Option(names = "--batch", defaultValue = "1000", description = "Leases per batch request, 0 for none (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--batch-clients", split = ",", defaultValue = "1,8",
            description = "Concurrency levels of batch requests (default ${DEFAULT-VALUE}).")
    int[] batchClients;

    @Option(names = "--nodes", defaultValue = "10000", description = "Simulated nodes (64 cores each) registered first (default ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--paths", split = ",", defaultValue = "http,rpc,in-process",
            description = "http (loopback, rm-client), rpc (the binary lease endpoint, single leases) and/or in-process"
                    + " (no network) (default ${DEFAULT-VALUE}).")
    List<String> paths;

    @Option(names = "--database-url", paramLabel = "JDBC", description = "Database of the resource manager (default: a durable H2 file in a temporary directory).")
    String databaseUrl;

    @Override
    public Integer call() throws Exception {
        for (String p : paths) {
            if (!p.equals("http") && !p.equals("rpc") && !p.equals("in-process")) {
                throw new IllegalArgumentException("--paths takes http, rpc and in-process, got " + p);
            }
        }
        List<LeaseBenchmark.Row> rows = new LeaseBenchmark(new LeaseBenchmark.Settings((long) (warmupSeconds * 1000),
                (long) (seconds * 1000), databaseUrl, nodes, clients, batch, batchClients, paths)).run();
        System.out.printf("%-11s %-7s %7s %6s %9s %11s %11s %11s %11s %11s %11s %11s%n", "path", "kind", "clients", "batch",
                "cycles", "cycles/s", "leases/s", "median µs", "p99 µs", "grant p50", "grant p99", "release p50");
        for (LeaseBenchmark.Row r : rows) {
            System.out.printf("%-11s %-7s %7d %6d %9d %11.0f %11.0f %11.1f %11.1f %11.1f %11.1f %11.1f%n", r.path(), r.kind(),
                    r.clients(), r.batch(), r.cycles(), r.cyclesPerSecond(), r.leasesPerSecond(), r.cycleMedianUs(),
                    r.cycleP99Us(), r.grantMedianUs(), r.grantP99Us(), r.releaseMedianUs());
        }
        if (json != null) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (LeaseBenchmark.Row r : rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("path", r.path());
                m.put("kind", r.kind());
                m.put("clients", r.clients());
                m.put("batch", r.batch());
                m.put("cycles", r.cycles());
                m.put("cycles_per_s", r.cyclesPerSecond());
                m.put("leases_per_s", r.leasesPerSecond());
                m.put("median_ns", Math.round(r.cycleMedianUs() * 1e3));
                m.put("p99_ns", Math.round(r.cycleP99Us() * 1e3));
                m.put("grant_median_ns", Math.round(r.grantMedianUs() * 1e3));
                m.put("grant_p99_ns", Math.round(r.grantP99Us() * 1e3));
                m.put("release_median_ns", Math.round(r.releaseMedianUs() * 1e3));
                m.put("database", r.database());
                m.put("nodes", r.nodes());
                out.add(m);
            }
            Files.writeString(json, ResourceManagerClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
        }
        return 0;
    }
}
