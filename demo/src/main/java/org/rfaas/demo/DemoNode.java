package org.rfaas.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.rfaas.demo.support.ChildJvm;
import org.rfaas.demo.support.LocalAddress;
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
import java.util.List;
import java.util.ServiceLoader;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The demo's executor manager: a child JVM that joins the demo's resource manager (registers,
 * heartbeats, verifies lease tokens with the cluster secret, reports billing when a lease ends).
 *
 * <p>Its config is written as a file readable by the owner only (it holds the cluster secret) and
 * read with {@link ExecutorManagerConfig#load}, exactly as {@code rfaas executor-manager --config}
 * does. The child prints {@code EXECUTOR <leaseId> <pid>} for every executor it spawns.
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
    private final Map<Long, Long> executorPids;

    private DemoNode(ChildJvm manager, String address, Map<Long, Long> executorPids) {
        this.manager = manager;
        this.address = address;
        this.executorPids = executorPids;
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
        Path file = workDir.resolve("executor-manager.json");
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), config);
        Map<Long, Long> pids = new ConcurrentHashMap<>();
        ChildJvm child = ChildJvm.start(ManagerMain.class.getName(), List.of("-Xmx256m"), List.of(file.toString()),
                Duration.ofSeconds(60), line -> {
                    String[] f = line.split(" ");
                    if (f.length == 3 && f[0].equals("EXECUTOR")) {
                        pids.put(Long.parseLong(f[1]), Long.parseLong(f[2]));
                    }
                });
        return new DemoNode(child, child.ready(), pids);
    }

    /** The manager's listen address. */
    public String address() {
        return address;
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

    /** Stops the manager: it stops its executors and delivers any pending billing first. */
    @Override
    public void close() {
        manager.close();
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
                ChildJvm.announceAndAwaitParent(addresses.getFirst());
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
