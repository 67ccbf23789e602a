package org.rfaas.demo.cluster;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.rfaas.demo.KeepAlive;
import org.rfaas.demo.support.FunctionPackages;
import org.rfaas.demo.support.TextTable;
import org.rfaas.examples.ExamplePackages;
import org.rfaas.client.rm.TenantKey;
import org.rfaas.testbed.Host;
import org.rfaas.testbed.NamespaceCluster;
import org.rfaas.testbed.RfaasCluster;
import org.rfaas.testbed.SlurmCluster;

/**
 * {@code rfaas demo --cluster}: rFaaS lending the idle nodes of a 5-host cluster with a real Slurm,
 * all on this machine (network namespaces, {@link NamespaceCluster}). The resource manager and
 * slurmctld run on rfx-h1, an executor manager and a slurmd on each of rfx-h2..4, and the
 * application ({@link ClusterApp}) on the compute host rfx-h5: it leases a core on each executor
 * host, invokes cold, warm and hot there, and hears the resource manager's pushed revocation when
 * a Slurm job takes one of the nodes; the node comes back when the job ends.
 */
public final class ClusterDemo {
    private static final int HOT_CALLS = 5_000;
    private static final int WARM_CALLS = 500;
    private static final int BYTES = 1024;

    private ClusterDemo() {
    }

    /**
     * Runs the demonstration, prints what it measured to {@code out}.
     *
     * @param cli the command that runs the rfaas CLI main class (the daemons are started with it)
     * @param deploySlurm the project's deploy/slurm directory (prolog and epilog)
     * @return the exit code: 0, or 2 when no namespace cluster can be built here
     */
    public static int run(List<String> cli, Path deploySlurm, PrintStream out) throws Exception {
        return run(cli, deploySlurm, out, false);
    }

    /** Like {@link #run(List, Path, PrintStream)}; with {@code keep} the cluster stays up until Ctrl-C. */
    public static int run(List<String> cli, Path deploySlurm, PrintStream out, boolean keep) throws Exception {
        Optional<String> why = NamespaceCluster.unavailableReason().or(SlurmCluster::unavailableReason);
        if (why.isPresent()) {
            out.println("rfaas demo --cluster builds hosts out of Linux namespaces and runs Slurm: it needs root.");
            out.println("It cannot run here: " + why.get());
            return 2;
        }
        long t0 = System.nanoTime();
        Path dir = Files.createTempDirectory("rfaas-cluster-demo-");
        List<String[]> rows = new ArrayList<>();
        List<String> events = new ArrayList<>();
        try (NamespaceCluster cluster = NamespaceCluster.start(5, dir.resolve("hosts"))) {
            stage(out, t0, "5 hosts up: " + String.join(", ", cluster.hosts().stream().map(h -> h.name() + " " + h.address()).toList()));
            try (RfaasCluster rfaas = RfaasCluster.builder(cluster, dir.resolve("rfaas"), cli).heartbeats(2000, 300)
                    .slurm(deploySlurm).start()) {
                stage(out, t0, "resource manager " + rfaas.rmUrl() + " and slurmctld on " + rfaas.resourceManagerHost().name()
                        + "; an executor manager and a slurmd on each of " + String.join(", ",
                        rfaas.executorHosts().stream().map(Host::name).toList()));
                stage(out, t0, "dashboard (reachable from inside the cluster's hosts): " + rfaas.rmUrl()
                        + "/dashboard#token=" + rfaas.adminToken() + "; executor managers' metrics: " + String.join(", ",
                        rfaas.executorHosts().stream().map(rfaas::metricsUrl).toList()));
                Path jar = ExamplePackages.writeJar(dir.resolve("examples.jar"));
                Path lib = ExamplePackages.buildNativeLibrary(dir);
                Host compute = rfaas.computeHost();
                List<String> app = new ArrayList<>(cli.subList(0, cli.indexOf("org.rfaas.cli.Main")));
                app.addAll(List.of(ClusterApp.class.getName(), rfaas.rmUrl(), jar.toString(), lib.toString()));
                Path err = dir.resolve("app.err");
                ProcessBuilder appProcess = compute.processBuilder(app).redirectError(err.toFile());
                appProcess.environment().put(TenantKey.ENV, rfaas.createTenant("cluster-test"));
                try (AppDriver a = new AppDriver(appProcess.start(), err)) {
                    a.awaitReady();
                    stage(out, t0, "application on " + compute.name() + " (no listen address configured: it listens on"
                            + " the address that routes to each executor manager)");
                    measure(a, rows, out, t0);
                    slurmJob(a, rfaas, compute, rows, events, out, t0);
                    a.ok("releaseall");
                    if (keep) {
                        KeepAlive.untilInterrupted(out, "the cluster stays up (enter a host with e.g. `nsenter --net=/run/netns/"
                                + compute.name() + " curl " + rfaas.rmUrl() + "/v1/health`)");
                    }
                }
            }
        } finally {
            FunctionPackages.deleteTree(dir);
        }
        stage(out, t0, "cluster torn down");
        out.println();
        out.println("Invocations of a " + BYTES + "-byte echo from " + "rfx-h5 to leases on other hosts over tcp (cold = "
                + "allocation request -> first result, no spare executors on Slurm nodes; warm = the worker asleep between calls, hot timeout 0; hot = "
                + "the worker spinning):");
        TextTable t = new TextTable(List.of("host", "package", "invocation", "calls", "median", "p99"), 3, 4, 5);
        rows.forEach(r -> t.add(List.of(r)));
        out.println(t.render());
        events.forEach(out::println);
        List<String> left = leftovers();
        out.println(left.isEmpty() ? "nothing left behind: no rfx- network namespace, link or mount, no process in them"
                : "LEFT BEHIND: " + left);
        out.printf(Locale.ROOT, "demo --cluster finished in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        KeepAlive.cleanedUp();
        return left.isEmpty() ? 0 : 1;
    }

    /**
     * Cold, warm and hot on one Java and one native lease per executor host: three leases at a time
     * (least-loaded placement spreads them over the three hosts), hot ones (hot timeout 1 ms) and
     * then warm ones (hot timeout 0: the worker sleeps whenever it waits).
     */
    private static void measure(AppDriver a, List<String[]> rows, PrintStream out, long t0) throws Exception {
        for (String pkg : List.of("java", "native")) {
            for (String kind : List.of("hot", "warm")) {
                List<String[]> leases = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    leases.add(a.ok("alloc " + kind + i + " tcp " + pkg + " 1 " + (kind.equals("hot") ? 1000 : 0)));
                }
                for (int i = 0; i < 3; i++) {
                    int calls = kind.equals("hot") ? HOT_CALLS : WARM_CALLS;
                    String[] r = a.ok("bench " + kind + i + " " + calls + " " + BYTES);
                    String host = leases.get(i)[1];
                    rows.add(new String[] {host, pkg, "cold (" + kind + " lease)", "1", us(Long.parseLong(leases.get(i)[2])), "-"});
                    rows.add(new String[] {host, pkg, kind, String.valueOf(calls), ns(r[0]), ns(r[1])});
                }
                for (int i = 0; i < 3; i++) {
                    a.ok("release " + kind + i);
                }
            }
            stage(out, t0, pkg + " package: cold, warm and hot measured on three hosts");
        }
        rows.sort(Comparator.comparing((String[] r) -> r[0]).thenComparing(r -> r[1]));
    }

    /** A Slurm job takes a node that holds a lease; the application is told; the node comes back. */
    private static void slurmJob(AppDriver a, RfaasCluster rfaas, Host compute, List<String[]> rows, List<String> events,
            PrintStream out, long t0) throws Exception {
        List<String[]> leases = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            leases.add(a.ok("alloc s" + i + " tcp java 1"));
        }
        String node = leases.get(1)[1];
        String leaseId = leases.get(1)[0];
        long sbatchAt = System.currentTimeMillis();
        long job = rfaas.slurm().sbatch(compute, node, "#!/bin/sh\necho \"job on $(hostname)\"\nsleep 2\n");
        stage(out, t0, "sbatch -w " + node + ": Slurm job " + job + " takes the node that holds lease " + leaseId);
        String heard = a.next("! revoked " + leaseId + " ", Duration.ofSeconds(30));
        long heardAt = System.currentTimeMillis() - (System.nanoTime() - a.lastArrivalNanos()) / 1_000_000;
        stage(out, t0, "the application's lease listener heard: " + heard.substring(2));
        String call = a.call("invoke s1 echo 01");
        stage(out, t0, "a call on the revoked lease: " + call);
        String state = rfaas.slurm().awaitJobState(job, Duration.ofSeconds(120), "COMPLETED", "FAILED");
        long endedAt = System.currentTimeMillis();
        long upAt = rfaas.awaitNodeState(node, "UP", Duration.ofSeconds(30));
        String[] back = a.ok("alloc back tcp java 1");
        long servingAt = System.currentTimeMillis();
        stage(out, t0, "job " + state + "; " + node + " is UP again and the next lease (" + back[0] + ") is placed on "
                + back[1]);
        events.add(String.format(Locale.ROOT, "Slurm: sbatch -> the application told of the revocation %d ms; job end ->"
                + " node UP %d ms; job end -> a new lease on it serving %d ms", heardAt - sbatchAt, Math.max(0, upAt - endedAt),
                servingAt - endedAt));
    }

    private static List<String> leftovers() throws Exception {
        List<String> left = new ArrayList<>();
        Process p = new ProcessBuilder("ip", "-o", "link", "show").redirectErrorStream(true).start();
        String links = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        if (links.contains("rfx-")) {
            left.add("links");
        }
        Process n = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        String ns = new String(n.getInputStream().readAllBytes());
        n.waitFor();
        if (ns.contains("rfx-")) {
            left.add("namespaces: " + ns.strip());
        }
        return left;
    }

    private static void stage(PrintStream out, long t0, String what) {
        out.printf(Locale.ROOT, "[%5.1f s] %s%n", (System.nanoTime() - t0) / 1e9, what);
    }

    private static String us(long micros) {
        return String.format(Locale.ROOT, "%.2f ms", micros / 1000.0);
    }

    private static String ns(String nanos) {
        long n = Long.parseLong(nanos);
        return n < 10_000 ? n + " ns" : String.format(Locale.ROOT, "%.1f us", n / 1000.0);
    }
}
