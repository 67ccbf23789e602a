package org.rfaas.executormanager;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Configuration of one executor manager: the file a user writes, read from JSON. Every default
 * and every check is in the one constructor (the config's "conclude" step): a config that exists
 * is complete and valid, and nothing else reads settings from system properties or elsewhere.
 * The {@code resourceManager} object is a {@link ResourceManagerLinkConfig}, checked here too.
 *
 *
 * <pre>
 * {
 *   "node": "node0",
 *   "listen": ["tcp://127.0.0.1:7000", "shm:/tmp/rfaas/node0"],
 *   "cores": 2,
 *   "memoryMiB": 4096,
 *   "workDir": "/tmp/rfaas/node0",
 *   "defaultLeaseSeconds": 3600,
 *   "gracePeriodMillis": 2000,
 *   "flushIntervalMillis": 100,
 *   "executorJvmArgs": [],
 *   "clusterSecret": null,
 *   "resourceManager": null,
 *   "spareExecutors": 3,
 *   "spareMemoryMiB": 256,
 *   "advertise": [],
 *   "sandbox": null,
 *   "metrics": "127.0.0.1:9464",
 *   "packageCacheMiB": 1024
 * }
 * </pre>
 *
 * @param node this node's name (lease tokens name it)
 * @param listen addresses to accept clients and executors on; several transports are allowed
 * @param cores cores this node offers to leases
 * @param memoryMiB memory this node offers to leases
 * @param workDir where each lease gets a directory with its package and executor log
 * @param defaultLeaseSeconds lease length when an unauthenticated request names none
 * @param gracePeriodMillis time an executor gets to stop after being told, before SIGTERM, and
 *     again before SIGKILL
 * @param flushIntervalMillis how often executors flush accounting deltas
 * @param executorJvmArgs extra JVM options for executors
 * @param clusterSecret the secret lease tokens are signed with; null accepts unauthenticated leases
 *     without a resource manager, and with one is generated on the first start and stored in the
 *     work directory (see {@link ClusterSecret})
 * @param resourceManager where the resource manager is, or null to run without one
 * @param spareExecutors executor JVMs kept started ahead of demand, with the heap sizes recently
 *     leased, so that cold starts skip the JVM boot (default 3: on a 2-core node fewer spares fall
 *     behind back-to-back allocations; 0 turns them off)
 * @param spareMemoryMiB heap size of the spare executors started with the manager, before any lease
 *     has shown which sizes clients ask for (default 256; 0 starts spares only after a lease)
 * @param advertise the addresses others reach this manager at, one per transport at most
 *     ({@code tcp://10.0.0.7:7000}), for listen addresses bound to the wildcard host ({@code 0.0.0.0})
 *     or behind NAT; without one, a wildcard address is advertised with a host chosen by
 *     {@link AdvertisedAddress}
 * @param sandbox whether executors run in the sandbox (bubblewrap namespaces and a cgroup each, see
 *     docs/sandbox.md): {@code null} (the default) where the host supports it, with a line saying
 *     why not where it does not; {@code true} refuses to start without it; {@code false} turns it off
 * @param metrics {@code host:port} to serve Prometheus metrics on ({@code GET /metrics}; port 0 picks a
 *     free one), or null (the default) for none
 * @param packageCacheMiB size limit of the node's package cache ({@code workDir/package-cache}:
 *     packages by SHA-256, shipped once per node, least recently used evicted first; default 1024,
 *     0 turns the cache off)
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record ExecutorManagerConfig(String node, List<String> listen, int cores, long memoryMiB, Path workDir,
        long defaultLeaseSeconds, long gracePeriodMillis, long flushIntervalMillis, List<String> executorJvmArgs,
        String clusterSecret, ResourceManagerLinkConfig resourceManager, Integer spareExecutors, Long spareMemoryMiB,
        List<String> advertise, Boolean sandbox, String metrics, Long packageCacheMiB) {

    @JsonCreator
    public ExecutorManagerConfig(@JsonProperty("node") String node, @JsonProperty("listen") List<String> listen,
            @JsonProperty("cores") int cores, @JsonProperty("memoryMiB") long memoryMiB,
            @JsonProperty("workDir") Path workDir, @JsonProperty("defaultLeaseSeconds") long defaultLeaseSeconds,
            @JsonProperty("gracePeriodMillis") long gracePeriodMillis,
            @JsonProperty("flushIntervalMillis") long flushIntervalMillis,
            @JsonProperty("executorJvmArgs") List<String> executorJvmArgs,
            @JsonProperty("clusterSecret") String clusterSecret,
            @JsonProperty("resourceManager") ResourceManagerLinkConfig resourceManager,
            @JsonProperty("spareExecutors") Integer spareExecutors,
            @JsonProperty("spareMemoryMiB") Long spareMemoryMiB,
            @JsonProperty("advertise") List<String> advertise,
            @JsonProperty("sandbox") Boolean sandbox,
            @JsonProperty("metrics") String metrics,
            @JsonProperty("packageCacheMiB") Long packageCacheMiB) {
        if (node == null || node.isEmpty() || node.indexOf('|') >= 0) {
            throw new IllegalArgumentException("config needs a node name (without '|')");
        }
        if (listen == null || listen.isEmpty()) {
            throw new IllegalArgumentException("config needs at least one listen address, e.g. tcp://127.0.0.1:7000");
        }
        if (cores < 1 || memoryMiB < 1) {
            throw new IllegalArgumentException("config needs positive cores and memoryMiB");
        }
        this.node = node;
        this.listen = List.copyOf(listen);
        this.cores = cores;
        this.memoryMiB = memoryMiB;
        this.workDir = workDir != null ? workDir : Path.of(System.getProperty("java.io.tmpdir"), "rfaas-" + node);
        this.defaultLeaseSeconds = defaultLeaseSeconds > 0 ? defaultLeaseSeconds : 3600;
        this.gracePeriodMillis = gracePeriodMillis > 0 ? gracePeriodMillis : 2000;
        this.flushIntervalMillis = flushIntervalMillis > 0 ? flushIntervalMillis : 100;
        this.executorJvmArgs = executorJvmArgs == null ? List.of() : List.copyOf(executorJvmArgs);
        this.clusterSecret = clusterSecret;
        this.resourceManager = resourceManager;
        this.spareExecutors = spareExecutors == null ? 3 : spareExecutors;
        if (this.spareExecutors < 0) {
            throw new IllegalArgumentException("spareExecutors must not be negative");
        }
        this.spareMemoryMiB = spareMemoryMiB == null ? 256 : spareMemoryMiB;
        if (this.spareMemoryMiB < 0) {
            throw new IllegalArgumentException("spareMemoryMiB must not be negative");
        }
        this.advertise = advertise == null ? List.of() : List.copyOf(advertise);
        this.sandbox = sandbox;
        java.util.Set<String> transports = new java.util.HashSet<>();
        for (String a : this.advertise) {
            if (!a.contains("://") || AdvertisedAddress.isWildcard(a)
                    || !transports.add(org.rfaas.transport.Transports.transportOf(a))) {
                throw new IllegalArgumentException("advertise entry '" + a + "' must be a transport://host:port address"
                        + " with a reachable host, one per transport");
            }
        }
        if (metrics != null) {
            metricsPort(metrics); // checks the form
        }
        this.metrics = metrics;
        this.packageCacheMiB = packageCacheMiB == null ? 1024 : packageCacheMiB;
        if (this.packageCacheMiB < 0) {
            throw new IllegalArgumentException("packageCacheMiB must not be negative");
        }
    }

    /** A config without the package-cache limit (the default applies). */
    public ExecutorManagerConfig(String node, List<String> listen, int cores, long memoryMiB, Path workDir,
            long defaultLeaseSeconds, long gracePeriodMillis, long flushIntervalMillis, List<String> executorJvmArgs,
            String clusterSecret, ResourceManagerLinkConfig resourceManager, Integer spareExecutors, Long spareMemoryMiB,
            List<String> advertise, Boolean sandbox, String metrics) {
        this(node, listen, cores, memoryMiB, workDir, defaultLeaseSeconds, gracePeriodMillis, flushIntervalMillis,
                executorJvmArgs, clusterSecret, resourceManager, spareExecutors, spareMemoryMiB, advertise, sandbox,
                metrics, null);
    }

    /** The package cache's size limit in bytes (0: no cache). */
    public long packageCacheBytes() {
        return packageCacheMiB << 20;
    }

    /** The host of {@link #metrics()}. */
    public String metricsHost() {
        return metrics.substring(0, metrics.lastIndexOf(':'));
    }

    /** The port of {@link #metrics()}. */
    public int metricsPort() {
        return metricsPort(metrics);
    }

    private static int metricsPort(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        int port = -1;
        if (colon > 0) {
            try {
                port = Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("metrics must be host:port (port 0..65535, 0 picks one), got '" + hostPort + "'");
        }
        return port;
    }

    /** A config without the {@code sandbox} setting (where the host supports it) and without metrics. */
    public ExecutorManagerConfig(String node, List<String> listen, int cores, long memoryMiB, Path workDir,
            long defaultLeaseSeconds, long gracePeriodMillis, long flushIntervalMillis, List<String> executorJvmArgs,
            String clusterSecret, ResourceManagerLinkConfig resourceManager, Integer spareExecutors, Long spareMemoryMiB,
            List<String> advertise) {
        this(node, listen, cores, memoryMiB, workDir, defaultLeaseSeconds, gracePeriodMillis, flushIntervalMillis,
                executorJvmArgs, clusterSecret, resourceManager, spareExecutors, spareMemoryMiB, advertise, null, null);
    }

    /** A config with defaults for everything but the essentials (tests, demos). */
    public static ExecutorManagerConfig of(String node, List<String> listen, int cores, long memoryMiB, Path workDir) {
        return new ExecutorManagerConfig(node, listen, cores, memoryMiB, workDir, 0, 0, 0, null, null, null, null, null, null, null, null, null);
    }

    /** Reads a config file. */
    public static ExecutorManagerConfig load(Path file) {
        try {
            return new ObjectMapper().readValue(file.toFile(), ExecutorManagerConfig.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read executor-manager config " + file + ": " + e.getMessage(), e);
        }
    }

    /** This config with other listen addresses. */
    public ExecutorManagerConfig withListen(List<String> addresses) {
        return new ExecutorManagerConfig(node, addresses, cores, memoryMiB, workDir, defaultLeaseSeconds,
                gracePeriodMillis, flushIntervalMillis, executorJvmArgs, clusterSecret, resourceManager, spareExecutors,
                spareMemoryMiB, advertise, sandbox, metrics, packageCacheMiB);
    }

    /** This config with another number of spare executors. */
    public ExecutorManagerConfig withSpareExecutors(int count) {
        return new ExecutorManagerConfig(node, listen, cores, memoryMiB, workDir, defaultLeaseSeconds, gracePeriodMillis,
                flushIntervalMillis, executorJvmArgs, clusterSecret, resourceManager, count, spareMemoryMiB, advertise, sandbox, metrics, packageCacheMiB);
    }

    /** This config with another heap size for the spares started with the manager (0: none). */
    public ExecutorManagerConfig withSpareMemoryMiB(long heapMiB) {
        return new ExecutorManagerConfig(node, listen, cores, memoryMiB, workDir, defaultLeaseSeconds, gracePeriodMillis,
                flushIntervalMillis, executorJvmArgs, clusterSecret, resourceManager, spareExecutors, heapMiB, advertise, sandbox, metrics, packageCacheMiB);
    }

    /** This config with the sandbox on ({@code true}: required), off, or where supported ({@code null}). */
    public ExecutorManagerConfig withSandbox(Boolean on) {
        return new ExecutorManagerConfig(node, listen, cores, memoryMiB, workDir, defaultLeaseSeconds, gracePeriodMillis,
                flushIntervalMillis, executorJvmArgs, clusterSecret, resourceManager, spareExecutors, spareMemoryMiB,
                advertise, on, metrics, packageCacheMiB);
    }

    /** This config with a cluster secret. */
    public ExecutorManagerConfig withClusterSecret(String secret) {
        return new ExecutorManagerConfig(node, listen, cores, memoryMiB, workDir, defaultLeaseSeconds, gracePeriodMillis,
                flushIntervalMillis, executorJvmArgs, secret, resourceManager, spareExecutors, spareMemoryMiB,
                advertise, sandbox, metrics, packageCacheMiB);
    }

    /**
     * The longest a lease takes to stop once told: a grace period before SIGTERM, another before
     * SIGKILL, and up to 3 s more for its accounting connection's last counters after the exit.
     */
    public long stopBoundMillis() {
        return 2 * gracePeriodMillis + 3000;
    }

    /** This config with another grace period. */
    public ExecutorManagerConfig withGracePeriodMillis(long millis) {
        return new ExecutorManagerConfig(node, listen, cores, memoryMiB, workDir, defaultLeaseSeconds, millis,
                flushIntervalMillis, executorJvmArgs, clusterSecret, resourceManager, spareExecutors, spareMemoryMiB, advertise, sandbox, metrics, packageCacheMiB);
    }

    /** This config serving metrics on {@code hostPort} (null: none). */
    public ExecutorManagerConfig withMetrics(String hostPort) {
        return new ExecutorManagerConfig(node, listen, cores, memoryMiB, workDir, defaultLeaseSeconds, gracePeriodMillis,
                flushIntervalMillis, executorJvmArgs, clusterSecret, resourceManager, spareExecutors, spareMemoryMiB,
                advertise, sandbox, hostPort, packageCacheMiB);
    }

    /** This config with another package-cache size limit in MiB (0: no cache). */
    public ExecutorManagerConfig withPackageCacheMiB(long mib) {
        return new ExecutorManagerConfig(node, listen, cores, memoryMiB, workDir, defaultLeaseSeconds, gracePeriodMillis,
                flushIntervalMillis, executorJvmArgs, clusterSecret, resourceManager, spareExecutors, spareMemoryMiB,
                advertise, sandbox, metrics, mib);
    }
}
