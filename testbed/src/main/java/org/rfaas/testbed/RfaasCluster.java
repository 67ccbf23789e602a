package org.rfaas.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * rFaaS deployed on a {@link NamespaceCluster}: the resource manager on one host, an executor
 * manager on each executor host (listening on {@code tcp://<address>:7000} and
 * {@code fabric:tcp://<address>:7001}, registered with the resource manager), optionally Slurm with
 * the project's {@code deploy/slurm} prolog and epilog, and one host left for applications. The
 * processes are started through {@code cli}, the command prefix that runs the rFaaS CLI (e.g.
 * {@code ["./rfaas"]} or {@code [java, -cp, <class path>, org.rfaas.cli.Main]}), so this class needs
 * no rFaaS module on its class path.
 *
 * <pre>{@code
 * try (NamespaceCluster hosts = NamespaceCluster.start(5, dir.resolve("hosts"));
 *         RfaasCluster rfaas = RfaasCluster.builder(hosts, dir, List.of("./rfaas")).slurm(Path.of("deploy/slurm")).start()) {
 *     // rfaas.rmUrl() = http://198.18.0.1:8090; applications run on rfaas.computeHost() (rfx-h5)
 *     long job = rfaas.slurm().sbatch(rfaas.computeHost(), "rfx-h3", "#!/bin/sh\nhostname\n");
 * }
 * }</pre>
 */
public final class RfaasCluster implements AutoCloseable {
    /** The executor managers' tcp port; their fabric:tcp listener is on the next port. */
    public static final int TCP_PORT = 7000;
    /** The port of every executor manager's Prometheus endpoint (each host has its own address). */
    public static final int METRICS_PORT = 9464;
    /** The resource manager's HTTP port. */
    public static final int RM_PORT = 8090;

    private final Builder config;
    private HostProcess resourceManager;
    private final Map<String, HostProcess> managers = new HashMap<>();
    private SlurmCluster slurm;

    private RfaasCluster(Builder config) {
        this.config = config;
    }

    /**
     * Starts configuring rFaaS on {@code hosts}; defaults: resource manager on host 1, executor
     * managers on hosts 2 .. n-1, the compute host n. Files go under {@code dir}.
     */
    public static Builder builder(NamespaceCluster hosts, Path dir, List<String> cli) {
        return new Builder(hosts, dir, cli);
    }

    /** The resource manager's URL, e.g. {@code http://198.18.0.1:8090}. */
    public String rmUrl() {
        return "http://" + config.rmHost.address() + ":" + RM_PORT;
    }

    /** The admin token of the resource manager. */
    public String adminToken() {
        return config.adminToken;
    }

    /** The host of the resource manager (and of slurmctld). */
    public Host resourceManagerHost() {
        return config.rmHost;
    }

    /** The hosts running an executor manager (and a slurmd). */
    public List<Host> executorHosts() {
        return config.executorHosts;
    }

    /** The host left for applications. */
    public Host computeHost() {
        return config.computeHost;
    }

    /** The resource manager's process. */
    public HostProcess resourceManager() {
        return resourceManager;
    }

    /** The executor manager's process on {@code host}. */
    public HostProcess manager(Host host) {
        return managers.get(host.name());
    }

    /** Slurm, or null when not configured. */
    public SlurmCluster slurm() {
        return slurm;
    }

    /** Where the Slurm prolog and epilog log, one line per step. */
    public Path slurmLog() {
        return config.dir.resolve("rfaas-slurm.log");
    }

    /** Starts (or, after its processes died, restarts) the executor manager of {@code host}. */
    public HostProcess startManager(Host host) throws IOException, TimeoutException, InterruptedException {
        Path file = config.dir.resolve("em-" + host.name() + ".json");
        Files.writeString(file, """
                {"node": "%s", "listen": ["tcp://%s:%d", "fabric:tcp://%s:%d"], "cores": %d, "memoryMiB": %d,
                 "workDir": "%s", "gracePeriodMillis": 1000, "flushIntervalMillis": 50, "spareExecutors": 0,
                 "clusterSecret": "%s", "resourceManager": {"url": "%s", "heartbeatMillis": %d},
                 "metrics": "%s:%d"}
                """.formatted(host.name(), host.address(), TCP_PORT, host.address(), TCP_PORT + 1, config.cores,
                config.memoryMiB, config.dir.resolve("em-work-" + host.name()), config.clusterSecret, rmUrl(),
                config.managerHeartbeatMillis, host.address(), METRICS_PORT));
        HostProcess old = managers.get(host.name());
        if (old != null) {
            old.close();
        }
        HostProcess p = host.start("executor-manager-" + System.nanoTime(), command("executor-manager", "--config",
                file.toString()));
        managers.put(host.name(), p);
        p.awaitOutputLine(l -> l.startsWith("listening fabric:"), Duration.ofSeconds(60));
        return p;
    }

    /** Where the executor manager of {@code host} serves its Prometheus metrics. */
    public String metricsUrl(Host host) {
        return "http://" + host.address() + ":" + METRICS_PORT + "/metrics";
    }

    /** Runs an admin request at the resource manager from the compute host (curl); returns the body. */
    public String admin(String method, String path) {
        Host.Result r = config.computeHost.run("curl", "-sS", "--max-time", "5", "-X", method, "-H",
                "Authorization: Bearer " + config.adminToken, rmUrl() + path);
        if (!r.ok()) {
            throw new IllegalStateException("curl " + method + " " + path + ": " + r.output());
        }
        return r.output();
    }

    /**
     * Creates tenant {@code name} (no quotas) at the resource manager, as an operator would with
     * {@code rfaas tenants add}, from the compute host; returns its API key.
     */
    public String createTenant(String name) {
        Host.Result r = config.computeHost.run("curl", "-sS", "--max-time", "5", "-X", "POST", "-H",
                "Authorization: Bearer " + config.adminToken, "-H", "Content-Type: application/json", "-d",
                "{\"name\": \"" + name + "\", \"maxCores\": 0, \"maxMemoryMiB\": 0}", rmUrl() + "/v1/tenants");
        if (!r.ok()) {
            throw new IllegalStateException("curl POST /v1/tenants: " + r.output());
        }
        String key = field(r.output(), "apiKey");
        if (key == null || !key.startsWith("rfk_")) {
            throw new IllegalStateException("no API key in the answer to POST /v1/tenants: " + r.output());
        }
        return key;
    }

    /** A node's state at the resource manager: {@code UP}, {@code DRAINING} or {@code DOWN}. */
    public String nodeState(String node) {
        return field(admin("GET", "/v1/nodes/" + node), "state");
    }

    /** A lease's state at the resource manager: {@code ACTIVE}, {@code REVOKED}, ... */
    public String leaseState(long leaseId) {
        return field(admin("GET", "/v1/leases/" + leaseId), "state");
    }

    /** Waits until the node has {@code state}; returns when it was first seen (epoch ms). */
    public long awaitNodeState(String node, String state, Duration timeout) throws TimeoutException, InterruptedException {
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

    /** Waits until the lease has {@code state}; returns when it was first seen (epoch ms). */
    public long awaitLeaseState(long leaseId, String state, Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            last = leaseState(leaseId);
            if (state.equals(last)) {
                return System.currentTimeMillis();
            }
            Thread.sleep(20);
        }
        throw new TimeoutException("lease " + leaseId + " is " + last + ", not " + state + " after " + timeout);
    }

    /** Stops Slurm, the executor managers and the resource manager (the host cluster stays). */
    @Override
    public void close() {
        if (slurm != null) {
            slurm.close();
        }
        managers.values().forEach(HostProcess::close);
        managers.clear();
        if (resourceManager != null) {
            resourceManager.close();
        }
    }

    private List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(config.cli);
        cmd.addAll(List.of(args));
        return cmd;
    }

    private void startAll() throws IOException, TimeoutException, InterruptedException {
        Files.createDirectories(config.dir);
        Path rmConfig = config.dir.resolve("rm.json");
        Files.writeString(rmConfig, """
                {"host": "%s", "port": %d, "adminToken": "%s", "clusterSecret": "%s", "dataDir": "%s",
                 "heartbeatTimeoutMillis": %d, "placement": "%s"}
                """.formatted(config.rmHost.address(), RM_PORT, config.adminToken, config.clusterSecret,
                config.dir.resolve("rm-data"), config.heartbeatTimeoutMillis, config.placement));
        resourceManager = config.rmHost.start("resource-manager", command("resource-manager", "--config", rmConfig.toString()));
        resourceManager.awaitOutputLine(l -> l.startsWith("rfaas resource-manager listening"), Duration.ofSeconds(60));
        for (Host h : config.executorHosts) {
            startManager(h);
        }
        for (Host h : config.executorHosts) {
            awaitNodeState(h.name(), "UP", Duration.ofSeconds(30));
        }
        if (config.deploySlurm != null) {
            startSlurm();
        }
    }

    private void startSlurm() throws IOException, TimeoutException, InterruptedException {
        Path tokenFile = config.dir.resolve("admin-token");
        Files.writeString(tokenFile, config.adminToken);
        Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
        Path conf = config.dir.resolve("rfaas-slurm.conf");
        Files.writeString(conf, """
                RFAAS_RM_URL=%s
                RFAAS_ADMIN_TOKEN_FILE=%s
                RFAAS_DRAIN_TIMEOUT=30
                RFAAS_SLURM_LOG=%s
                """.formatted(rmUrl(), tokenFile, slurmLog()));
        // Slurm starts prologs with its own environment; a site installs the config as
        // /etc/rfaas/slurm.conf instead of these wrappers.
        Path prolog = wrapper("prolog", config.deploySlurm.resolve("rfaas-prolog"), conf);
        Path epilog = wrapper("epilog", config.deploySlurm.resolve("rfaas-epilog"), conf);
        slurm = SlurmCluster.builder(config.hosts, config.dir.resolve("slurm")).controller(config.rmHost)
                .nodes(config.executorHosts).prolog(prolog).epilog(epilog).start();
    }

    private Path wrapper(String name, Path script, Path conf) throws IOException {
        Path w = config.dir.resolve(name);
        Files.writeString(w, "#!/bin/sh\nRFAAS_SLURM_CONFIG=" + conf + " exec " + script.toAbsolutePath() + " \"$@\"\n");
        Files.setPosixFilePermissions(w, PosixFilePermissions.fromString("rwxr-xr-x"));
        return w;
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"?([^\",}]*)").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + name + " in " + json);
        }
        return m.group(1);
    }

    /** Configures an {@link RfaasCluster}. */
    public static final class Builder {
        private final NamespaceCluster hosts;
        private final Path dir;
        private final List<String> cli;
        private Host rmHost;
        private List<Host> executorHosts;
        private Host computeHost;
        private Path deploySlurm;
        private String adminToken = "testbed-admin-token-" + Long.toHexString(System.nanoTime());
        private String clusterSecret = "testbed-cluster-secret-" + Long.toHexString(System.nanoTime());
        private long heartbeatTimeoutMillis = 2000;
        private long managerHeartbeatMillis = 300;
        private int cores = 2;
        private long memoryMiB = 2048;
        private String placement = "least-loaded";

        private Builder(NamespaceCluster hosts, Path dir, List<String> cli) {
            this.hosts = hosts;
            this.dir = dir.toAbsolutePath();
            this.cli = List.copyOf(cli);
            int n = hosts.hosts().size();
            if (n < 3) {
                throw new IllegalArgumentException("needs at least 3 hosts (resource manager, executor, compute), got " + n);
            }
            rmHost = hosts.host(1);
            executorHosts = hosts.hosts().subList(1, n - 1);
            computeHost = hosts.host(n);
        }

        /** Which hosts do what (defaults: host 1; hosts 2 .. n-1; host n). */
        public Builder roles(Host resourceManager, List<Host> executors, Host compute) {
            this.rmHost = resourceManager;
            this.executorHosts = List.copyOf(executors);
            this.computeHost = compute;
            return this;
        }

        /** Starts Slurm too, with the prolog and epilog of this {@code deploy/slurm} directory. */
        public Builder slurm(Path deploySlurmDirectory) {
            this.deploySlurm = deploySlurmDirectory.toAbsolutePath();
            return this;
        }

        /** The resource manager's admin token and cluster secret (defaults: generated). */
        public Builder secrets(String adminToken, String clusterSecret) {
            this.adminToken = adminToken;
            this.clusterSecret = clusterSecret;
            return this;
        }

        /** Resource manager heartbeat timeout (default 2000 ms) and executor managers' heartbeat period (default 300 ms). */
        public Builder heartbeats(long timeoutMillis, long managerPeriodMillis) {
            this.heartbeatTimeoutMillis = timeoutMillis;
            this.managerHeartbeatMillis = managerPeriodMillis;
            return this;
        }

        /** Cores and memory each executor manager offers (default 2 cores, 2048 MiB). */
        public Builder capacity(int coresPerNode, long memoryMiBPerNode) {
            this.cores = coresPerNode;
            this.memoryMiB = memoryMiBPerNode;
            return this;
        }

        /** Placement policy of the resource manager (default {@code least-loaded}: one lease per host first). */
        public Builder placement(String policy) {
            this.placement = policy;
            return this;
        }

        /** Starts everything; returns when every executor node is UP (and every Slurm node idle). */
        public RfaasCluster start() throws IOException, TimeoutException, InterruptedException {
            RfaasCluster c = new RfaasCluster(this);
            try {
                c.startAll();
            } catch (IOException | TimeoutException | InterruptedException | RuntimeException e) {
                c.close();
                throw e;
            }
            return c;
        }
    }
}
