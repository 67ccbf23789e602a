package org.rfaas.systemtests;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.rfaas.examples.ExamplePackages;
import org.rfaas.testbed.Host;
import org.rfaas.testbed.HostProcess;
import org.rfaas.testbed.NamespaceCluster;
import org.rfaas.testbed.SlurmCluster;

/**
 * The 5-host rFaaS cluster of the cluster system tests: host 1 runs the resource manager (and
 * slurmctld), hosts 2-4 an executor manager each (tcp on port 7000 and fabric:tcp on 7001, registered
 * with the resource manager; and a slurmd), host 5 is the compute host running {@link ClusterClientMain}.
 * Slurm's prolog and epilog are the project's deploy/slurm scripts.
 */
final class ClusterFixture implements AutoCloseable {
    static final String ADMIN_TOKEN = "cluster-test-admin-token";
    static final String SECRET = "cluster-test-secret-shared-with-executor-managers";
    static final int TCP_PORT = 7000;
    /** Heartbeat timeout of the resource manager: a node silent this long is marked DOWN. */
    static final long HEARTBEAT_TIMEOUT_MILLIS = 2000;

    final Path dir;
    final NamespaceCluster cluster;
    final Path jar;
    final Path nativeLibrary;
    HostProcess resourceManager;
    final HostProcess[] managers = new HostProcess[6];
    SlurmCluster slurm;
    Driver client;

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
            f.startResourceManager();
            for (int n = 2; n <= 4; n++) {
                f.startManager(n);
            }
            f.awaitNodeState("rfx-h2", "UP", Duration.ofSeconds(30));
            f.awaitNodeState("rfx-h3", "UP", Duration.ofSeconds(30));
            f.awaitNodeState("rfx-h4", "UP", Duration.ofSeconds(30));
            f.startSlurm();
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

    String rmUrl() {
        return "http://" + cluster.host(1).address() + ":8090";
    }

    private static List<String> java(String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", SystemTestSupport.CHILD_LOGGING, "-cp",
                System.getProperty("java.class.path")));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private void startResourceManager() throws Exception {
        Path config = dir.resolve("rm.json");
        Files.writeString(config, """
                {"host": "%s", "port": 8090, "adminToken": "%s", "clusterSecret": "%s", "dataDir": "%s",
                 "heartbeatTimeoutMillis": %d, "placement": "least-loaded"}
                """.formatted(cluster.host(1).address(), ADMIN_TOKEN, SECRET, dir.resolve("rm-data"), HEARTBEAT_TIMEOUT_MILLIS));
        resourceManager = cluster.host(1).start("resource-manager",
                java("org.rfaas.cli.Main", "resource-manager", "--config", config.toString()));
        resourceManager.awaitOutputLine(l -> l.startsWith("rfaas resource-manager listening"), Duration.ofSeconds(60));
    }

    /** Starts (or restarts) the executor manager of host {@code n}; waits until it listens on both transports. */
    void startManager(int n) throws Exception {
        Host h = cluster.host(n);
        Path config = dir.resolve("em-" + n + ".json");
        Files.writeString(config, """
                {"node": "%s", "listen": ["tcp://%s:%d", "fabric:tcp://%s:%d"], "cores": 2, "memoryMiB": 2048,
                 "workDir": "%s", "gracePeriodMillis": 1000, "flushIntervalMillis": 50, "spareExecutors": 0,
                 "clusterSecret": "%s", "resourceManager": {"url": "%s", "heartbeatMillis": 300}}
                """.formatted(h.name(), h.address(), TCP_PORT, h.address(), TCP_PORT + 1, dir.resolve("em-work-" + n),
                SECRET, rmUrl()));
        String name = "executor-manager-" + System.nanoTime();
        managers[n] = h.start(name, java("org.rfaas.cli.Main", "executor-manager", "--config", config.toString()));
        managers[n].awaitOutputLine(l -> l.startsWith("listening fabric:"), Duration.ofSeconds(60));
    }

    private void startSlurm() throws Exception {
        Path repo = Path.of(System.getProperty("user.dir")).getParent();
        Path deploy = repo.resolve("deploy/slurm");
        Path tokenFile = dir.resolve("admin-token");
        Files.writeString(tokenFile, ADMIN_TOKEN);
        Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
        Path conf = dir.resolve("rfaas-slurm.conf");
        Files.writeString(conf, """
                RFAAS_RM_URL=%s
                RFAAS_ADMIN_TOKEN_FILE=%s
                RFAAS_DRAIN_TIMEOUT=30
                RFAAS_SLURM_LOG=%s
                """.formatted(rmUrl(), tokenFile, slurmLog()));
        // Slurm starts the prolog with its own environment; a site installs the config at
        // /etc/rfaas/slurm.conf instead of these wrappers.
        Path prolog = wrapper("prolog", deploy.resolve("rfaas-prolog"), conf);
        Path epilog = wrapper("epilog", deploy.resolve("rfaas-epilog"), conf);
        slurm = SlurmCluster.builder(cluster, dir.resolve("slurm")).controller(cluster.host(1))
                .nodes(List.of(cluster.host(2), cluster.host(3), cluster.host(4))).prolog(prolog).epilog(epilog).start();
    }

    Path slurmLog() {
        return dir.resolve("rfaas-slurm.log");
    }

    private Path wrapper(String name, Path script, Path conf) throws IOException {
        Path w = dir.resolve(name);
        Files.writeString(w, "#!/bin/sh\nRFAAS_SLURM_CONFIG=" + conf + " exec " + script + " \"$@\"\n");
        Files.setPosixFilePermissions(w, PosixFilePermissions.fromString("rwxr-xr-x"));
        return w;
    }

    private Driver startClient() throws Exception {
        Host compute = cluster.host(5);
        ProcessBuilder pb = compute.processBuilder(java(ClusterClientMain.class.getName(), rmUrl(), compute.address(),
                jar.toString(), nativeLibrary.toString())).redirectError(dir.resolve("client.err").toFile());
        Driver d = new Driver(pb.start(), dir.resolve("client.err"));
        d.awaitReady();
        return d;
    }

    /** Runs an admin request at the resource manager from the compute host (the test JVM is not on the bridge). */
    String admin(String method, String path) {
        Host.Result r = cluster.host(5).run("curl", "-sS", "--max-time", "5", "-X", method, "-H",
                "Authorization: Bearer " + ADMIN_TOKEN, rmUrl() + path);
        if (!r.ok()) {
            throw new IllegalStateException("curl " + method + " " + path + ": " + r.output());
        }
        return r.output();
    }

    /** A node's state at the resource manager (UP, DRAINING, DOWN). */
    String nodeState(String node) {
        return field(admin("GET", "/v1/nodes/" + node), "state");
    }

    /** A lease's state at the resource manager (ACTIVE, REVOKED, ...). */
    String leaseState(long leaseId) {
        return field(admin("GET", "/v1/leases/" + leaseId), "state");
    }

    /** Waits until the node has {@code state}; returns when (epoch ms) it was first seen. */
    long awaitNodeState(String node, String state, Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            last = nodeState(node);
            if (state.equals(last)) {
                return System.currentTimeMillis();
            }
            Thread.sleep(20);
        }
        throw new TimeoutException(node + " is " + last + ", not " + state + " after " + timeout);
    }

    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"?([^\",}]*)").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + name + " in " + json);
        }
        return m.group(1);
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
            if (slurm != null) {
                slurm.close();
            }
            for (HostProcess m : managers) {
                if (m != null) {
                    m.close();
                }
            }
            if (resourceManager != null) {
                resourceManager.close();
            }
        } finally {
            System.err.println("----- rfaas-slurm.log\n" + String.join("\n", lines(slurmLog())));
            cluster.close();
            SystemTestSupport.deleteTree(dir);
        }
    }

    /** The compute host's application ({@link ClusterClientMain}), one command at a time. */
    static final class Driver implements AutoCloseable {
        private final Process process;
        private final PrintWriter in;
        private final Path stderr;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final BlockingQueue<Long> arrivals = new LinkedBlockingQueue<>();
        /** {@link System#nanoTime()} when the line last returned by {@link #next} arrived. */
        long lastArrivalNanos;

        Driver(Process process, Path stderr) {
            this.process = process;
            this.stderr = stderr;
            this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        arrivals.add(System.nanoTime());
                        lines.add(l);
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
                arrivals.add(System.nanoTime());
                lines.add("= error ClientExited");
            }, "cluster-client-reader");
            reader.setDaemon(true);
            reader.start();
        }

        void awaitReady() throws Exception {
            String l = lines.poll(60, TimeUnit.SECONDS);
            arrivals.poll();
            if (!"# ready".equals(l)) {
                throw new IllegalStateException("client did not start (" + l + "): " + HostProcess.tail(stderr, 40));
            }
        }

        /** Sends a command without waiting for its answer. */
        void send(String command) {
            in.println(command);
        }

        /** The next line starting with {@code prefix} (others are skipped), or a TimeoutException. */
        String next(String prefix, Duration timeout) throws InterruptedException, TimeoutException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                String l = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (l == null) {
                    throw new TimeoutException("no \"" + prefix + "\" line from the client in " + timeout);
                }
                lastArrivalNanos = arrivals.take();
                if (l.startsWith(prefix)) {
                    return l;
                }
            }
        }

        /** Sends a command and returns its answer without the {@code "= "} prefix. */
        String call(String command) throws InterruptedException, TimeoutException {
            send(command);
            return next("= ", Duration.ofSeconds(90)).substring(2);
        }

        /** Sends a command that must succeed; returns the words after {@code ok}. */
        String[] ok(String command) throws InterruptedException, TimeoutException {
            String a = call(command);
            if (!a.startsWith("ok")) {
                throw new AssertionError(command + " -> " + a + "\nclient stderr:\n" + HostProcess.tail(stderr, 40));
            }
            return a.substring(2).strip().split(" ");
        }

        @Override
        public void close() {
            in.close();
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
