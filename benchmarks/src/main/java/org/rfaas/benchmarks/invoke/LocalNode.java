package org.rfaas.benchmarks.invoke;

import org.rfaas.demo.support.ChildJvm;
import org.rfaas.demo.support.LocalAddress;
import org.rfaas.demo.support.NodeSettling;
import org.rfaas.client.ExecutorNode;
import org.rfaas.client.ExecutorsDatabase;
import org.rfaas.client.LeaseOffer;
import org.rfaas.client.LeaseSource;
import org.rfaas.client.RfaasClient;
import org.rfaas.executormanager.ExecutorManager;
import org.rfaas.executormanager.ExecutorManagerConfig;
import org.rfaas.executormanager.LeaseListener;
import org.rfaas.executormanager.LeaseRecord;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * An executor manager on this machine, in a child JVM, for the benchmarks and the demo: one node
 * listening on one transport, with an executors database that points at it.
 *
 * <p>The manager process reports, on stdout, the wall-clock instant at which it spawned each
 * lease's executor ({@code SPAWNED <leaseId> <epochMicros>}); the cold-start breakdown uses it to
 * split an allocation into "request and code shipping" and "executor start and connect". Both
 * processes read the same clock, so the split is good to a few microseconds.
 */
public final class LocalNode implements AutoCloseable {
    /** Cores the node offers: enough for the scaling benchmark's 8-core leases on a 2-core machine. */
    public static final int CORES = 16;
    /** Memory the node offers. */
    public static final long MEMORY_MIB = 16 * 1024;

    private final ChildJvm manager;
    private final String transport;
    private final String address;
    private final Path workDir;
    private final Map<Long, Long> spawnedAtMicros;
    private final NodeSettling settling;

    private LocalNode(ChildJvm manager, String transport, String address, Path workDir, Map<Long, Long> spawned,
            NodeSettling settling) {
        this.settling = settling;
        this.manager = manager;
        this.transport = transport;
        this.address = address;
        this.workDir = workDir;
        this.spawnedAtMicros = spawned;
    }

    /** Starts a manager listening on {@code transport} with its work files under {@code workDir}. */
    public static LocalNode start(String transport, Path workDir) throws IOException {
        return start(transport, workDir, true);
    }

    /**
     * As {@link #start(String, Path)}; without {@code spares} the manager keeps no spare executors,
     * so that every lease forks its executor JVM (the cold start "from nothing" but the AOT cache).
     */
    public static LocalNode start(String transport, Path workDir, boolean spares) throws IOException {
        Map<Long, Long> spawned = new ConcurrentHashMap<>();
        NodeSettling settling = new NodeSettling();
        Path managerDir = workDir.resolve("node-" + transport.replace(':', '-') + (spares ? "" : "-forked"));
        List<String> args = spares ? List.of(transport, managerDir.toString())
                : List.of(transport, managerDir.toString(), NO_SPARES);
        ChildJvm child = ChildJvm.start(ManagerMain.class.getName(), List.of("-Xmx256m"), args,
                Duration.ofSeconds(60), line -> {
                    String[] f = line.split(" ");
                    if (f.length == 3 && f[0].equals("SPAWNED")) {
                        spawned.put(Long.parseLong(f[1]), Long.parseLong(f[2]));
                    } else {
                        settling.accept(line);
                    }
                });
        return new LocalNode(child, transport, child.ready(), workDir, spawned, settling);
    }

    /** The transport the manager listens on. */
    public String transport() {
        return transport;
    }

    /** The manager's address. */
    public String address() {
        return address;
    }

    /** The manager's process id. */
    public long pid() {
        return manager.pid();
    }

    /** The executors database with this node alone. */
    public ExecutorsDatabase database() {
        return new ExecutorsDatabase(List.of(new ExecutorNode("local-" + transport, address, CORES, MEMORY_MIB)));
    }

    /** Writes {@link #database()} as a file, for {@code rfaas invoke --executors}. */
    public Path writeDatabase(Path file) {
        ExecutorsDatabase.write(file, database().nodes());
        return file;
    }

    /** A client that leases from this node. */
    public RfaasClient client() {
        return client(database());
    }

    /** A client that leases through {@code source}. */
    public RfaasClient client(LeaseSource source) {
        return client(source, 0, 0);
    }

    /**
     * A client that leases through {@code source} and warms its invocation path with
     * {@code warmUpCalls} and its end of the workers' handshakes with {@code warmUpHandshakes}.
     */
    public RfaasClient client(LeaseSource source, int warmUpCalls, int warmUpHandshakes) {
        return RfaasClient.builder().leaseSource(source).allocationTimeout(Duration.ofSeconds(60)).warmUp(warmUpCalls)
                .warmUpHandshakes(warmUpHandshakes).build();
    }

    /**
     * Waits until the manager's background work (spare boots, AOT training) is done; see
     * {@link NodeSettling#await}. Returns false when it did not settle within {@code max}.
     */
    public boolean awaitSettled(Duration max) throws InterruptedException {
        return settling.await(max);
    }

    /** When (epoch µs) the manager spawned the executor of {@code leaseId}, if it said so yet. */
    public Long spawnedAtMicros(long leaseId) {
        return spawnedAtMicros.get(leaseId);
    }

    /** Stops the manager (it stops its executors) and deletes the work directory. */
    @Override
    public void close() {
        manager.close();
        try (Stream<Path> files = Files.walk(workDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A leftover temporary directory is harmless.
        }
    }

    /** A {@link LeaseSource} that remembers how long the last lease took to obtain. */
    public static final class TimedLeases implements LeaseSource {
        private final LeaseSource inner;
        private volatile long lastNanos;

        public TimedLeases(LeaseSource inner) {
            this.inner = inner;
        }

        @Override
        public LeaseOffer acquire(int cores, long memoryMiB, Duration duration) {
            long t0 = System.nanoTime();
            try {
                return inner.acquire(cores, memoryMiB, duration);
            } finally {
                lastNanos = System.nanoTime() - t0;
            }
        }

        @Override
        public void release(LeaseOffer lease) {
            inner.release(lease);
        }

        /** Duration of the last {@link #acquire}. */
        public long lastNanos() {
            return lastNanos;
        }
    }

    /** {@link ManagerMain}'s third argument: no spare executors. */
    private static final String NO_SPARES = "no-spares";

    /**
     * The manager process: {@code ManagerMain TRANSPORT WORK_DIR [no-spares]}. Prints
     * {@code READY <address>}, then {@code SPAWNED <leaseId> <epochMicros>} per executor, and stops
     * when stdin closes.
     */
    public static final class ManagerMain {
        private ManagerMain() {
        }

        public static void main(String[] args) throws Exception {
            String transport = args[0];
            ExecutorManagerConfig config = ExecutorManagerConfig.of("local-" + transport,
                    List.of(LocalAddress.of(transport)), CORES, MEMORY_MIB, Path.of(args[1]));
            if (args.length > 2 && args[2].equals(NO_SPARES)) {
                config = config.withSpareExecutors(0);
            }
            ExecutorManager manager = new ExecutorManager(config, null);
            manager.addLeaseListener(new LeaseListener() {
                @Override
                public void leaseStarted(LeaseRecord lease) {
                    Instant now = Instant.now();
                    System.out.println("SPAWNED " + lease.leaseId() + " " + (now.getEpochSecond() * 1_000_000 + now.getNano() / 1000));
                    System.out.flush();
                }
            });
            List<String> addresses = manager.start();
            NodeSettling.startReporting(manager);
            try {
                ChildJvm.announceAndAwaitParent(addresses.getFirst());
            } finally {
                manager.close();
            }
            System.exit(0);
        }
    }
}
