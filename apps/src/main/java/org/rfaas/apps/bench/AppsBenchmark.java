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
 * {@code rfaas bench apps} drives it with an executor manager it starts on a CPU of its own; this
 * entry point runs it against executors you name.
 *
 * <pre>
 * java -cp CP org.rfaas.apps.bench.AppsBenchmark --executors db.json | --resource-manager URL
 *      [--np 2] [--quick] [--kernel java|native] [--rank-cpus 0] [--apps blackscholes,matmul,jacobi]
 *      [--wait warm|hot] [--hot-timeout MICROS]   (the executors' reply wait and hot timeout; default warm, 0)
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
 * time), wait (rank idle, waiting for its executors), a call's overhead (its transfer + network,
 * µs): mean, median and 99th percentile over the calls.
 */
public final class AppsBenchmark {
    private AppsBenchmark() {
    }

    /** The offloaded fractions measured. */
    public static final double[] FRACTIONS = {0, 0.25, 0.5, 0.75};
    /** The applications, in the order they run. */
    public static final List<String> APPS = List.of("blackscholes", "matmul", "jacobi");

    /** How the ranks run and where they lease. */
    public record Setup(List<String> lease, int np, String rankCpus, String kernel, boolean quick, String waitMode,
            String hotTimeout) {
    }

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
        Setup setup = new Setup(lease, args.integer("np", 2), args.string("rank-cpus", null), args.string("kernel", "java"),
                args.has("quick"), args.string("wait", "warm"), args.string("hot-timeout", "0"));
        System.out.println(header());
        boolean ok = true;
        for (String app : List.of(args.string("apps", String.join(",", APPS)).split(","))) {
            for (double f : FRACTIONS) {
                Map<String, String> r = run(setup, app, f);
                ok &= "bitwise-equal".equals(r.get("check"));
                System.out.println(line(app, f, r));
            }
        }
        System.exit(ok ? 0 : 1);
    }

    /** The application's main class and its size arguments for {@code setup}. */
    static List<String> spec(String app, Setup setup) {
        boolean quick = setup.quick();
        return switch (app) {
            case "blackscholes" -> List.of("org.rfaas.apps.blackscholes.BlackScholesApp", "--size",
                    quick ? "simlarge" : "262144", "--batch", "4096", "--runs", "100");
            case "matmul" -> List.of("org.rfaas.apps.matmul.MatmulApp", "--n", quick ? "512" : "1024");
            case "jacobi" -> List.of("org.rfaas.apps.jacobi.JacobiApp", "--n", quick ? "512" : "768", "--iterations",
                    quick ? "100" : "500", "--tol", "0", "--wait", setup.waitMode(), "--hot-timeout", setup.hotTimeout());
            default -> throw new IllegalArgumentException("unknown app " + app + "; known: " + APPS);
        };
    }

    /** The table's header line. */
    public static String header() {
        return String.format(Locale.ROOT, "%-13s %7s %8s %8s %7s %7s %8s %8s %8s %8s %6s %9s %9s %9s  %-13s", "app",
                "offload", "solve_s", "ideal_s", "x_ideal", "lease_s", "transfer", "network", "remote_s", "wait_s", "calls",
                "call_mean", "call_med", "call_p99", "check");
    }

    /** One row of the table. */
    public static String line(String app, double fraction, Map<String, String> r) {
        double solve = Double.parseDouble(r.get("solve_s"));
        double ideal = Double.parseDouble(r.get("ideal_s"));
        return String.format(Locale.ROOT, "%-13s %6.0f%% %8.4f %8.4f %7.2f %7.3f %8.4f %8.4f %8.4f %8.4f %6s %9s %9s %9s  %-13s",
                app, fraction * 100, solve, ideal, solve / ideal, Double.parseDouble(r.get("lease_s")),
                Double.parseDouble(r.get("transfer_s")), Double.parseDouble(r.get("network_s")),
                Double.parseDouble(r.get("remote_compute_s")), Double.parseDouble(r.get("wait_s")), r.get("calls"),
                r.get("call_overhead_us"), r.get("call_median_us"), r.get("call_p99_us"), r.get("check"));
    }

    /**
     * One {@code mpirun} of {@code app} offloading {@code fraction}, with {@code --check} and
     * {@code --repeat}; returns its RESULT fields.
     */
    public static Map<String, String> run(Setup setup, String app, double fraction) throws IOException, InterruptedException {
        List<String> spec = spec(app, setup);
        List<String> cmd = new ArrayList<>();
        if (setup.rankCpus() != null) {
            cmd.addAll(List.of("taskset", "-c", setup.rankCpus()));
        }
        // no binding (it would ignore the taskset), and ranks that yield while they wait in MPI,
        // since they may share a CPU
        cmd.addAll(List.of("mpirun", "--oversubscribe", "--bind-to", "none", "-np", Integer.toString(setup.np())));
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.add("--allow-run-as-root");
        }
        cmd.addAll(List.of(ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), spec.getFirst()));
        cmd.addAll(spec.subList(1, spec.size()));
        cmd.addAll(setup.lease());
        cmd.addAll(List.of("--offload", String.valueOf(fraction), "--kernel", setup.kernel(), "--check", "--repeat",
                setup.quick() ? "5" : "10"));
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
            return new LinkedHashMap<>(AppRun.parseResult(out));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
