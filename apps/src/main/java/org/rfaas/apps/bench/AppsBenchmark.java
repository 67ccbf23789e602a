package org.rfaas.apps.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.rfaas.apps.common.AppArgs;
import org.rfaas.apps.common.AppRun;

/**
 * Time to solution of the three applications all-local and offloading 25, 50 and 75% of each
 * rank's work, with the offload overhead broken down and the ideal time for each split.
 *
 * <pre>
 * java -cp CP org.rfaas.apps.bench.AppsBenchmark --executors db.json | --resource-manager URL
 *      [--np 2] [--quick] [--kernel java|native] [--rank-cpus 0] [--apps blackscholes,matmul,jacobi]
 *      [--wait warm|hot] [--hot-timeout MICROS]   (Jacobi's reply wait and executor hot timeout; default warm, 0)
 * </pre>
 *
 * Every configuration is one {@code mpirun} of the application with {@code --check} (the result
 * is compared bit for bit with the all-local computation; a mismatch fails the benchmark) and
 * {@code --repeat 5} ({@code --quick}) or 10: the last round is reported, after the JIT compilers of
 * ranks and executors warmed up on the earlier ones.
 * {@code --rank-cpus LIST} runs the ranks under {@code taskset -c LIST}, so that executors pinned
 * elsewhere (start their manager under {@code taskset}) are really idle capacity. Columns, in
 * seconds and the maximum over ranks: solve (time to solution, without the lease), ideal (the
 * overlapped local and waiting time replaced by the longer of local kernel and busiest executor's
 * kernel), lease (allocation and cold start, once), transfer (packing and unpacking the registered
 * buffers), network (round trips minus remote kernel time), remote (busiest executor's kernel
 * time), wait (rank idle, waiting for its executors), per call (transfer + network per
 * invocation, µs).
 */
public final class AppsBenchmark {
    private AppsBenchmark() {
    }

    private static final double[] FRACTIONS = {0, 0.25, 0.5, 0.75};

    /** Entry point; see the class comment. */
    public static void main(String[] argv) throws Exception {
        AppArgs args = new AppArgs(argv, List.of("quick"));
        List<String> lease = new ArrayList<>();
        if (args.has("resource-manager")) {
            lease.addAll(List.of("--resource-manager", args.string("resource-manager", null), "--tenant",
                    args.string("tenant", "bench")));
        } else if (args.has("executors")) {
            lease.addAll(List.of("--executors", args.string("executors", null)));
        } else {
            System.err.println("AppsBenchmark needs --executors FILE or --resource-manager URL");
            System.exit(2);
        }
        boolean quick = args.has("quick");
        String kernel = args.string("kernel", "java");
        Map<String, List<String>> apps = new LinkedHashMap<>();
        apps.put("blackscholes", List.of("org.rfaas.apps.blackscholes.BlackScholesApp", "--size",
                quick ? "1000000" : "native", "--batch", "8192"));
        apps.put("matmul", List.of("org.rfaas.apps.matmul.MatmulApp", "--n", quick ? "512" : "1024"));
        apps.put("jacobi", List.of("org.rfaas.apps.jacobi.JacobiApp", "--n", quick ? "512" : "1024", "--iterations",
                quick ? "100" : "500", "--tol", "0", "--wait", args.string("wait", "warm"), "--hot-timeout",
                args.string("hot-timeout", "0")));
        List<String> selected = List.of(args.string("apps", String.join(",", apps.keySet())).split(","));

        System.out.printf(Locale.ROOT, "%-13s %6s %8s %8s %6s %7s %8s %8s %8s %8s %6s %9s  %s%n", "app", "offload",
                "solve_s", "ideal_s", "x_ideal", "lease_s", "transfer", "network", "remote_s", "wait_s", "calls",
                "percall_us", "check");
        boolean ok = true;
        for (String app : selected) {
            List<String> spec = apps.get(app);
            if (spec == null) {
                throw new IllegalArgumentException("unknown app " + app + "; known: " + apps.keySet());
            }
            for (double f : FRACTIONS) {
                List<String> appArgs = new ArrayList<>(spec.subList(1, spec.size()));
                appArgs.addAll(lease);
                appArgs.addAll(List.of("--offload", String.valueOf(f), "--kernel", kernel, "--check", "--repeat",
                        quick ? "5" : "10"));
                Map<String, String> r = run(args, spec.getFirst(), appArgs);
                double solve = Double.parseDouble(r.get("solve_s"));
                double ideal = Double.parseDouble(r.get("ideal_s"));
                ok &= "bitwise-equal".equals(r.get("check"));
                System.out.printf(Locale.ROOT, "%-13s %6.0f%% %8.4f %8.4f %6.2f %7.3f %8.4f %8.4f %8.4f %8.4f %6s %9s  %s%n",
                        app, f * 100, solve, ideal, solve / ideal, Double.parseDouble(r.get("lease_s")),
                        Double.parseDouble(r.get("transfer_s")), Double.parseDouble(r.get("network_s")),
                        Double.parseDouble(r.get("remote_compute_s")), Double.parseDouble(r.get("wait_s")),
                        r.get("calls"), r.get("call_overhead_us"), r.get("check"));
            }
        }
        System.exit(ok ? 0 : 1);
    }

    /** One mpirun of an application; returns its RESULT fields. */
    private static Map<String, String> run(AppArgs args, String mainClass, List<String> appArgs)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (args.has("rank-cpus")) {
            cmd.addAll(List.of("taskset", "-c", args.string("rank-cpus", null)));
        }
        // no binding (it would ignore the taskset), and ranks that yield while they wait in MPI,
        // since they may share a CPU
        cmd.addAll(List.of("mpirun", "--oversubscribe", "--bind-to", "none", "-np", args.string("np", "2")));
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.add("--allow-run-as-root");
        }
        cmd.addAll(List.of(ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(appArgs);
        Path log = Files.createTempFile("rfaas-apps-bench", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().putIfAbsent("OMPI_MCA_mpi_yield_when_idle", "1");
            Process p = pb.start();
            if (!p.waitFor(600, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", cmd));
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0 || !out.contains("RESULT ")) {
                throw new IllegalStateException("mpirun exited with " + p.exitValue() + ":\n" + out);
            }
            return AppRun.parseResult(out);
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
