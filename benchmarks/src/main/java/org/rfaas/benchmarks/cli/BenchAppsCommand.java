package org.rfaas.benchmarks.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.rfaas.apps.bench.AppsBenchmark;
import org.rfaas.benchmarks.common.Affinity;
import org.rfaas.benchmarks.common.JsonRows;
import org.rfaas.benchmarks.invoke.ClusterBenchInvoke;
import org.rfaas.benchmarks.invoke.LocalNode;
import org.rfaas.demo.support.ServerPlacement;
import org.rfaas.benchmarks.invoke.RawEcho;
import org.rfaas.benchmarks.suite.RoundTrip;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rfaas bench apps}: the MPI applications (Black-Scholes, matrix multiply, Jacobi) all-local
 * and offloading 25 / 50 / 75 % to an executor manager this command starts, with the ranks and the
 * executors on separate CPUs, and the raw transport round trip of Jacobi's bytes beside Jacobi's hot
 * per-call overhead. Each configuration is checked bit for bit against the all-local result.
 */
@Command(name = "apps", mixinStandardHelpOptions = true,
        description = {"MPI applications (mpirun) all-local vs offloading 25/50/75%% to leased executors on another CPU,",
            "with the ideal time of each split and, for Jacobi (hot), the raw tcp round trip of the same bytes."})
public final class BenchAppsCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "Smaller problems and 5 rounds instead of 10.")
    boolean quick;

    @Option(names = "--np", defaultValue = "1", description = "MPI ranks (default ${DEFAULT-VALUE}: one per CPU left to the ranks).")
    int np;

    @Option(names = "--kernel", defaultValue = "java", description = "java or native kernels (default ${DEFAULT-VALUE}).")
    String kernel;

    @Option(names = "--apps", split = ",", defaultValue = "blackscholes,matmul,jacobi",
            description = "Applications (default ${DEFAULT-VALUE}); Jacobi runs warm and hot.")
    List<String> apps;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the rows as JSON.")
    Path json;

    @Option(names = "--cluster", description = {"Across two hosts of a namespace cluster (needs root): mpirun and the ranks",
            "on one, the executor manager, its executors and the raw echo server on the other."})
    boolean cluster;

    /** One measured configuration. */
    public record Row(String app, String mode, double offload, double solveS, double idealS, double xIdeal, double leaseS,
            double transferS, double networkS, double remoteS, double waitS, long calls, double callMeanUs,
            double callMedianUs, double callP99Us, double rawRoundTripUs, String check) {
    }

    /** The targets of the issue this benchmark reports on. */
    static final double BLACKSCHOLES_X_IDEAL = 1.25;
    static final double JACOBI_X_RAW = 2.0;

    @Override
    public Integer call() throws Exception {
        if (cluster) {
            List<String> args = new ArrayList<>(List.of("--np=" + np, "--kernel=" + kernel, "--apps=" + String.join(",", apps)));
            if (quick) {
                args.add("--quick");
            }
            if (json != null) {
                args.add("--json=" + json.toAbsolutePath());
            }
            return ClusterBenchInvoke.runAcrossHosts("apps", args, "mpirun and the ranks",
                    "executor manager, executors and raw echo server");
        }
        for (String tool : List.of("mpirun", "taskset")) {
            if (!onPath(tool)) {
                System.err.println("rfaas bench apps: `" + tool + "` is not installed (apt-get install openmpi-bin util-linux)");
                return 2;
            }
        }
        int cpus = Affinity.availableCpus();
        int executorCpu = cpus - 1;
        String rankCpus = cpus >= 2 ? (cpus == 2 ? "0" : "0-" + (cpus - 2)) : null;
        Path dir = Files.createTempDirectory("rfaas-bench-apps");
        List<Row> rows = new ArrayList<>();
        boolean ok = true;
        try (LocalNode node = startPinned(cpus >= 2 ? executorCpu : -1, () -> LocalNode.start("tcp", dir))) {
            Path db = node.writeDatabase(dir.resolve("executors.json"));
            node.awaitSettled(Duration.ofSeconds(90));
            System.out.printf(Locale.ROOT, "%d CPUs: %s; executor manager and executors (tcp, %s) on CPU %d; "
                    + "%d rank(s), 1 leased core each, %s kernels%n", cpus,
                    rankCpus == null ? "one CPU, ranks and executors share it" : "ranks on CPU " + rankCpus,
                    ServerPlacement.host(), executorCpu, np, kernel);
            List<String> lease = List.of("--executors", db.toString());
            System.out.println("(seconds; a call's overhead, its transfer + network, in us; raw_rtt: the raw tcp round "
                    + "trip of the same bytes, median)");
            System.out.println(AppsBenchmark.header() + "  raw_rtt");
            for (String app : apps) {
                List<String> modes = app.equals("jacobi") ? List.of("warm", "hot") : List.of("warm");
                for (String mode : modes) {
                    AppsBenchmark.Setup setup = new AppsBenchmark.Setup(lease, np, rankCpus, kernel, quick, mode,
                            mode.equals("hot") ? "1000000" : "0");
                    for (double f : AppsBenchmark.FRACTIONS) {
                        Map<String, String> r = AppsBenchmark.run(setup, app, f);
                        double raw = app.equals("jacobi") && mode.equals("hot") && f > 0
                                ? jacobiRawRoundTripUs(r, f, cpus >= 2 ? executorCpu : -1) : Double.NaN;
                        Row row = row(app, mode, f, r, raw);
                        rows.add(row);
                        ok &= "bitwise-equal".equals(row.check());
                        System.out.println(AppsBenchmark.line(app + (mode.equals("hot") ? "-hot" : ""), f, r)
                                + (Double.isNaN(raw) ? "" : String.format(Locale.ROOT, "  %9.1f", raw)));
                    }
                }
            }
        } finally {
            if (Files.exists(dir)) { // the node deletes it on close; not when it failed to start
                try (var files = Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        verdicts(rows);
        if (json != null) {
            JsonRows.write(json, rows);
        }
        return ok ? 0 : 1;
    }

    private static Row row(String app, String mode, double f, Map<String, String> r, double raw) {
        double solve = Double.parseDouble(r.get("solve_s"));
        double ideal = Double.parseDouble(r.get("ideal_s"));
        return new Row(app, mode, f, solve, ideal, solve / ideal, Double.parseDouble(r.get("lease_s")),
                Double.parseDouble(r.get("transfer_s")), Double.parseDouble(r.get("network_s")),
                Double.parseDouble(r.get("remote_compute_s")), Double.parseDouble(r.get("wait_s")),
                Long.parseLong(r.get("calls")), Double.parseDouble(r.get("call_overhead_us")),
                Double.parseDouble(r.get("call_median_us")), Double.parseDouble(r.get("call_p99_us")), raw, r.get("check"));
    }

    /** The two figures the issue asks for, against their targets. */
    private static void verdicts(List<Row> rows) {
        for (Row r : rows) {
            if (r.app().equals("blackscholes") && r.offload() == 0.5) {
                System.out.printf(Locale.ROOT, "Black-Scholes, 50%% offloaded: %.2fx the ideal time of the split (target <= %.2f): %s%n",
                        r.xIdeal(), BLACKSCHOLES_X_IDEAL, r.xIdeal() <= BLACKSCHOLES_X_IDEAL ? "met" : "NOT met");
            }
            if (r.app().equals("jacobi") && r.mode().equals("hot") && r.offload() > 0) {
                double x = r.callMedianUs() / r.rawRoundTripUs();
                System.out.printf(Locale.ROOT, "Jacobi hot, %.0f%% offloaded: an iteration's call costs %.1f us (median; "
                        + "mean %.1f, p99 %.1f) = %.2fx the raw tcp round trip of its bytes (median %.1f us; target <= "
                        + "%.1fx): %s%n", r.offload() * 100, r.callMedianUs(), r.callMeanUs(), r.callP99Us(), x,
                        r.rawRoundTripUs(), JACOBI_X_RAW, x <= JACOBI_X_RAW ? "met" : "NOT met");
            }
        }
    }

    /**
     * The raw tcp round trip of one Jacobi call's bytes, as the median over 1,000 echoes: half the
     * echo of its input plus half the echo of its output (an echo sends the same bytes both ways).
     * The echo server runs on the executors' CPU, the measuring thread on a rank CPU.
     */
    private double jacobiRawRoundTripUs(Map<String, String> r, double f, int serverCpu) throws Exception {
        int n = Integer.parseInt(r.get("n"));
        int rows = (n - 2 + np - 1) / np;
        int offloaded = (int) Math.round(rows * f);
        int in = 8 + 8 * n * (offloaded + 2);
        int out = 8 * n * offloaded + 8;
        try (RoundTrip raw = startPinned(serverCpu, () -> RawEcho.start("tcp", "hot"))) {
            Optional<byte[]> mask = serverCpu >= 0 ? Affinity.pinCurrentThread(0) : Optional.empty();
            try {
                return (medianUs(raw, in) + medianUs(raw, out)) / 2;
            } finally {
                mask.ifPresent(Affinity::restore);
            }
        }
    }

    private static double medianUs(RoundTrip raw, int bytes) throws Exception {
        raw.prepare(bytes);
        for (int i = 0; i < 200; i++) {
            raw.call();
        }
        long[] t = new long[1000];
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            raw.call();
            t[i] = System.nanoTime() - t0;
        }
        Arrays.sort(t);
        return t[t.length / 2] / 1e3;
    }

    private interface Start<T> {
        T start() throws Exception;
    }

    /** Starts a child process from this thread pinned to {@code cpu} (inherited by the child); -1: unpinned. */
    private static <T> T startPinned(int cpu, Start<T> start) throws Exception {
        Optional<byte[]> mask = cpu >= 0 ? Affinity.pinCurrentThread(cpu) : Optional.empty();
        try {
            return start.start();
        } finally {
            mask.ifPresent(Affinity::restore);
        }
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }
}
