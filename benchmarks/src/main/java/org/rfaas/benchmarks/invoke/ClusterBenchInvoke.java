package org.rfaas.benchmarks.invoke;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.rfaas.benchmarks.cli.BenchCommand;
import org.rfaas.demo.support.FunctionPackages;
import org.rfaas.demo.support.ServerPlacement;
import org.rfaas.testbed.Host;
import org.rfaas.testbed.NamespaceCluster;

/**
 * {@code rfaas bench invoke --cluster}: the same measurement as {@link BenchInvoke}, across two
 * hosts of a namespace cluster. The measuring JVM (the client side of both the raw ping-pong and
 * the rFaaS invocations) runs on host {@code rfx-h2}; the raw echo server and the executor
 * manager, with its executors, run on host {@code rfx-h1}: every round trip crosses the hosts'
 * veth pair and bridge, and the client finds its listen address by route, as on a real cluster.
 */
public final class ClusterBenchInvoke {
    private ClusterBenchInvoke() {
    }

    /**
     * Builds the cluster, runs {@code rfaas bench invoke ARGS} (tcp unless {@code args} name
     * providers) inside host 2 with servers on host 1, tears the cluster down.
     *
     * @return the measuring JVM's exit code; 2 when no namespace cluster can be built here
     */
    public static int run(List<String> args) throws Exception {
        List<String> all = new ArrayList<>(args);
        if (args.stream().noneMatch(a -> a.startsWith("--providers"))) {
            all.add("--providers=tcp");
        }
        return runAcrossHosts("invoke", all, "the raw ping and the rFaaS client", "raw echo server and executor manager");
    }

    /**
     * Builds a two-host namespace cluster, runs {@code rfaas bench SUBCOMMAND ARGS} inside host 2
     * with every server it starts (through {@link ServerPlacement}) on host 1, tears the cluster down.
     *
     * @param clientSide what runs on host 2, for the line printed first
     * @param serverSide what runs on host 1
     * @return the measuring JVM's exit code; 2 when no namespace cluster can be built here
     */
    public static int runAcrossHosts(String subcommand, List<String> args, String clientSide, String serverSide)
            throws Exception {
        Optional<String> why = NamespaceCluster.unavailableReason();
        if (why.isPresent()) {
            System.err.println("rfaas bench " + subcommand + " --cluster needs a namespace cluster (root, ip netns, nsenter): "
                    + why.get());
            return 2;
        }
        Path dir = Files.createTempDirectory("rfaas-bench-cluster-");
        try (NamespaceCluster cluster = NamespaceCluster.start(2, dir.resolve("hosts"))) {
            Host server = cluster.host(1);
            Host client = cluster.host(2);
            // The measuring JVM joins host 2's network and UTS namespaces but stays in this mount
            // namespace: a mount namespace copied for a host does not carry the other hosts' mount
            // namespace files (the kernel leaves them out of copies), so from inside host 2 the
            // servers could not be put into host 1.
            List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=" + client.netnsFile(), "--uts=" + client.utsFile(),
                    "--", ProcessHandle.current().info().command().orElseThrow(),
                    "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Djava.awt.headless=true", "-cp",
                    System.getProperty("java.class.path"), BenchCommand.class.getName(), subcommand));
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
            pb.environment().put(ServerPlacement.HOST_VARIABLE, server.address());
            pb.environment().put(ServerPlacement.ENTER_VARIABLE, String.join(" ", server.enterCommand()));
            System.out.printf("bench %s across hosts: %s on %s %s; %s on %s %s%n", subcommand, clientSide, client.name(),
                    client.address(), serverSide, server.name(), server.address());
            Process p = pb.start();
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("the measuring JVM did not finish within 30 minutes");
            }
            return p.exitValue();
        } finally {
            FunctionPackages.deleteTree(dir);
        }
    }
}
