package org.rfaas.systemtests;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Assumptions;
import org.rfaas.examples.ExamplePackages;
import org.rfaas.demo.cluster.AppDriver;
import org.rfaas.client.rm.TenantKey;
import org.rfaas.demo.cluster.ClusterApp;
import org.rfaas.testbed.Host;
import org.rfaas.testbed.HostProcess;
import org.rfaas.testbed.NamespaceCluster;
import org.rfaas.testbed.RfaasCluster;
import org.rfaas.testbed.SlurmCluster;

/**
 * The 5-host rFaaS cluster of the cluster system tests ({@link RfaasCluster} on a
 * {@link NamespaceCluster}): host 1 runs the resource manager (and slurmctld), hosts 2-4 an
 * executor manager each (tcp on port 7000 and fabric:tcp on 7001, registered with the resource
 * manager; and a slurmd), host 5 is the compute host running {@link ClusterApp}. Slurm's
 * prolog and epilog are the project's deploy/slurm scripts.
 */
final class ClusterFixture implements AutoCloseable {
    /**
     * Heartbeat timeout of the resource manager: a node silent this long is marked DOWN (and its
     * leases revoked). Above the data connections' own bound (1.5 s liveness timeout + 0.25 s
     * heartbeat interval + timer slack), so that when a host's link is cut the client hears it
     * from its data connection first, which is what the link-cut test checks; at 2 s the two raced
     * (one CI run in a dozen: revoked at 1.86 s, before the liveness timeout fired).
     */
    static final long HEARTBEAT_TIMEOUT_MILLIS = 2500;

    final Path dir;
    final NamespaceCluster cluster;
    final Path jar;
    final Path nativeLibrary;
    RfaasCluster rfaas;
    SlurmCluster slurm;
    AppDriver client;
    private String tenantKey;

    private ClusterFixture(Path dir, NamespaceCluster cluster, Path jar, Path nativeLibrary) {
        this.dir = dir;
        this.cluster = cluster;
        this.jar = jar;
        this.nativeLibrary = nativeLibrary;
    }

    /** Skips (with the reason printed) where namespaces or Slurm are unavailable. */
    static void assumeAvailable() {
        Optional<String> why = NamespaceCluster.unavailableReason().or(SlurmCluster::unavailableReason);
        why.ifPresent(r -> System.out.println("SKIPPED (namespace cluster): " + r));
        Assumptions.assumeTrue(why.isEmpty(), () -> why.orElse(""));
    }

    static ClusterFixture start() throws Exception {
        Path dir = SystemTestSupport.tempDir("cluster");
        NamespaceCluster cluster = NamespaceCluster.start(5, dir.resolve("hosts"));
        ClusterFixture f = null;
        try {
            f = new ClusterFixture(dir, cluster, ExamplePackages.writeJar(dir.resolve("examples.jar")),
                    ExamplePackages.buildNativeLibrary(dir));
            Path repo = Path.of(System.getProperty("user.dir")).getParent();
            f.rfaas = RfaasCluster.builder(cluster, dir.resolve("rfaas"), java("org.rfaas.cli.Main"))
                    .heartbeats(HEARTBEAT_TIMEOUT_MILLIS, 300).slurm(repo.resolve("deploy/slurm")).start();
            f.slurm = f.rfaas.slurm();
            f.client = f.startClient();
            return f;
        } catch (Exception | Error e) {
            if (f != null) {
                f.close();
            } else {
                cluster.close();
            }
            throw e;
        }
    }

    private static List<String> java(String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", SystemTestSupport.CHILD_LOGGING, "-cp",
                System.getProperty("java.class.path")));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Restarts the executor manager of host {@code n} (after its processes were killed). */
    void startManager(int n) throws Exception {
        rfaas.startManager(cluster.host(n));
    }

    Path slurmLog() {
        return rfaas.slurmLog();
    }

    private AppDriver startClient() throws Exception {
        Host compute = rfaas.computeHost();
        ProcessBuilder pb = compute.processBuilder(java(ClusterApp.class.getName(), rfaas.rmUrl(), jar.toString(),
                nativeLibrary.toString())).redirectError(dir.resolve("client.err").toFile());
        pb.environment().put(TenantKey.ENV, tenantKey());
        AppDriver d = new AppDriver(pb.start(), dir.resolve("client.err"));
        d.awaitReady();
        return d;
    }

    /** The API key of tenant {@code cluster-test}, the application's; created at the first call. */
    String tenantKey() {
        if (tenantKey == null) {
            tenantKey = rfaas.createTenant("cluster-test");
        }
        return tenantKey;
    }

    /** A node's state at the resource manager (UP, DRAINING, DOWN). */
    String nodeState(String node) {
        return rfaas.nodeState(node);
    }

    /** A lease's state at the resource manager (ACTIVE, REVOKED, ...). */
    String leaseState(long leaseId) {
        return rfaas.leaseState(leaseId);
    }

    /** Waits until the node has {@code state}; returns when (epoch ms) it was first seen. */
    long awaitNodeState(String node, String state, Duration timeout) throws TimeoutException, InterruptedException {
        return rfaas.awaitNodeState(node, state, timeout);
    }

    /** Lines of a text file, or none. */
    static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public void close() {
        try {
            if (client != null) {
                client.close();
            }
            if (rfaas != null) {
                System.err.println("----- rfaas-slurm.log\n" + String.join("\n", lines(rfaas.slurmLog())));
                rfaas.close();
            }
        } finally {
            cluster.close();
            SystemTestSupport.deleteTree(dir);
        }
    }
}
