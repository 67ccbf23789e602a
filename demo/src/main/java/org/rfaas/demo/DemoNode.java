package org.rfaas.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.rfaas.demo.support.ChildJvm;
import org.rfaas.demo.support.LocalAddress;
import org.rfaas.demo.support.NodeSettling;
import org.rfaas.executormanager.ExecutorManager;
import org.rfaas.executormanager.ExecutorManagerConfig;
import org.rfaas.executormanager.ExecutorManagerPlugin;
import org.rfaas.executormanager.LeaseListener;
import org.rfaas.executormanager.LeaseRecord;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * The demo's executor manager: a child JVM that joins the demo's resource manager (registers,
 * heartbeats, verifies lease tokens with the cluster secret, reports billing when a lease ends).
 *
 * <p>Its config is written as a file readable by the owner only (it holds the cluster secret) and
 * read with {@link ExecutorManagerConfig#load}, exactly as {@code rfaas executor-manager --config}
 * does. The child prints {@code EXECUTOR <leaseId> <pid>} for every executor it spawns, and its
 * background work as {@link NodeSettling} states.
 */
public final class DemoNode implements AutoCloseable {
    /** The node's name at the resource manager. */
    static final String NAME = "demo-node";
    /** Cores the node offers. */
    static final int CORES = 4;
    /** Memory the node offers. */
    static final long MEMORY_MIB = 4096;
    /** Heartbeat period of the manager's resource-manager link. */
    static final long HEARTBEAT_MILLIS = 500;

    private final ChildJvm manager;
    private final String address;
    /** The manager's Prometheus endpoint. */
    private final AtomicReference<String> metricsUrl;
    private final Map<Long, Long> executorPids;
    private final NodeSettling settling;
    /** The java.io.tmpdir of the manager and its JVMs. */
    private final Path tmp;
    /** What they left in {@link #tmp}, found and removed at close. */
    private final List<String> leftInTmp = new ArrayList<>();

    private DemoNode(ChildJvm manager, String address, Map<Long, Long> executorPids, NodeSettling settling, Path tmp,
            AtomicReference<String> metricsUrl) {
        this.tmp = tmp;
        this.metricsUrl = metricsUrl;
        this.manager = manager;
        this.address = address;
        this.executorPids = executorPids;
        this.settling = settling;
    }

    /** Starts a manager on {@code transport} that joins the resource manager at {@code rm}. */
    static DemoNode start(String transport, Path workDir, String clusterSecret, URI rm) throws IOException {
        Files.createDirectories(workDir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode();
        config.put("node", NAME);
        config.putArray("listen").add(LocalAddress.of(transport));
        config.put("cores", CORES);
        config.put("memoryMiB", MEMORY_MIB);
        config.put("workDir", workDir.resolve("leases").toString());
        config.put("clusterSecret", clusterSecret);
        config.putObject("resourceManager").put("url", rm.toString()).put("heartbeatMillis", HEARTBEAT_MILLIS);
        config.put("metrics", "127.0.0.1:0");
        Path file = workDir.resolve("executor-manager.json");
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), config);
        Map<Long, Long> pids = new ConcurrentHashMap<>();
        NodeSettling settling = new NodeSettling();
        AtomicReference<String> metrics = new AtomicReference<>();
        // The manager and every JVM it starts (executors, the AOT-cache training) keep their temporary
        // files (shm socket directories, warm-up jars) in a directory of the node's own, removed at
        // close: through the launcher's JDK_JAVA_OPTIONS, as the executors' command lines (and the AOT
        // cache keyed by them) must stay what they are. Short: shm socket paths must fit in 108 bytes.
        Path tmp = Files.createTempDirectory("rfaas-n");
        ChildJvm child;
        try {
            child = ChildJvm.start(ManagerMain.class.getName(), List.of("-Xmx256m"),
                    Map.of("JDK_JAVA_OPTIONS", "-Djava.io.tmpdir=" + tmp), List.of(file.toString()),
                    Duration.ofSeconds(60), line -> {
                        String[] f = line.split(" ");
                        if (f.length == 3 && f[0].equals("EXECUTOR")) {
                            pids.put(Long.parseLong(f[1]), Long.parseLong(f[2]));
                        } else if (f.length == 2 && f[0].equals("METRICS")) {
                            metrics.set(f[1]);
                        } else {
                            settling.accept(line);
                        }
                    });
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp, new ArrayList<>());
            throw e;
        }
        return new DemoNode(child, child.ready(), pids, settling, tmp, metrics);
    }

    /** The manager's listen address. */
    public String address() {
        return address;
    }

    /** Where the manager serves its Prometheus metrics. */
    public String metricsUrl() {
        long deadline = System.nanoTime() + 2_000_000_000L; // the line follows the READY line at once
        while (metricsUrl.get() == null && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L);
        }
        return metricsUrl.get();
    }

    /** The manager's process id. */
    public long pid() {
        return manager.pid();
    }

    /** Pid of the executor that serves {@code leaseId}, waiting up to 2 s for the manager to say it; -1 if unknown. */
    public long executorPid(long leaseId) {
        long deadline = System.nanoTime() + 2_000_000_000L;
        Long pid;
        while ((pid = executorPids.get(leaseId)) == null && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L);
        }
        return pid == null ? -1 : pid;
    }

    /**
     * Waits until the manager booted its spare executors and trained the executors' AOT cache (see
     * {@link NodeSettling}); false when it was still busy after {@code max}.
     */
    public boolean awaitSettled(Duration max) throws InterruptedException {
        return settling.await(max);
    }

    /** What the manager was last busy with. */
    public String busy() {
        return settling.busy();
    }

    /** Stops the manager: it stops its executors and delivers any pending billing first. */
    @Override
    public void close() {
        manager.close();
        deleteTree(tmp, leftInTmp);
    }

    /** Deletes {@code dir}, adding what was in it to {@code found}. */
    private static void deleteTree(Path dir, List<String> found) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                if (!f.equals(dir)) {
                    found.add(dir.relativize(f).toString());
                }
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            found.add("(" + e.getMessage() + ")");
        }
    }

    /** What the manager and its JVMs left in their temporary directory (removed by {@link #close}). */
    public List<String> leftInTmp() {
        return leftInTmp;
    }

    /** The manager process: {@code ManagerMain CONFIG_FILE}; stops when stdin closes. */
    public static final class ManagerMain {
        private ManagerMain() {
        }

        public static void main(String[] args) throws Exception {
            ExecutorManager manager = new ExecutorManager(ExecutorManagerConfig.load(Path.of(args[0])), null);
            manager.addLeaseListener(new LeaseListener() {
                @Override
                public void leaseStarted(LeaseRecord lease) {
                    System.out.println("EXECUTOR " + lease.leaseId() + " " + lease.executorPid());
                    System.out.flush();
                }
            });
            List<String> addresses = manager.start();
            NodeSettling.startReporting(manager);
            // The resource-manager link is a plugin, attached as `rfaas executor-manager` does it.
            List<AutoCloseable> plugins = new ArrayList<>();
            try {
                for (ExecutorManagerPlugin p : ServiceLoader.load(ExecutorManagerPlugin.class)) {
                    AutoCloseable handle = p.attach(manager);
                    if (handle != null) {
                        plugins.add(handle);
                    }
                }
                if (plugins.isEmpty()) {
                    throw new IllegalStateException("no executor-manager plugin attached: the resource-manager link"
                            + " (META-INF/services/" + ExecutorManagerPlugin.class.getName() + ") is not on the class path");
                }
                ChildJvm.announce(addresses.getFirst());
                System.out.println("METRICS " + manager.metricsUrl());
                System.out.flush();
                ChildJvm.awaitParent();
            } finally {
                // The link delivers pending billing (for up to 5 s) before it stops.
                for (AutoCloseable p : plugins.reversed()) {
                    try {
                        p.close();
                    } catch (Exception e) {
                        System.err.println("plugin " + p + " failed to close: " + e);
                    }
                }
                manager.close();
            }
            System.exit(0);
        }
    }
}
