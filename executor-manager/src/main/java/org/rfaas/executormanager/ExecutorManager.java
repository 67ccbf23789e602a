package org.rfaas.executormanager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.rfaas.protocol.AccountingCounters;
import org.rfaas.protocol.LeaseAccounting;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.protocol.MessageHeader;
import org.rfaas.protocol.MessageType;
import org.rfaas.protocol.lease.LeaseToken;
import org.rfaas.rmclient.NodeActivity;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.ThreadPolicy;
import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.Transports;
import org.rfaas.executormanager.packages.PackageCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor manager of one node: accepts allocation requests, verifies leases through a
 * {@link LeaseAuthority}, starts one executor JVM per lease (heap = lease memory, workers = lease
 * cores), stops it at release, expiry or revocation, reclaims the lease when the executor or the
 * client dies, and reports each lease's accounting to {@link LeaseListener}s. This class opens the
 * listeners and hands each connection to its handler: {@link ClientSessions} for clients,
 * {@link ExecutorLinks} for executors; the leases and capacity are {@link LeaseTable}'s, the spare
 * executors {@link SparePool}'s, the executor JVMs' command lines {@link ExecutorLauncher}'s.
 *
 * <p>Threads: one acceptor per listen address, one thread per connection (each blocks only in its
 * own connection's {@code await}), one timer thread. Child processes are watched with
 * {@link Process#onExit()}; nothing ever blocks on a child.
 */
public final class ExecutorManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorManager.class);
    /** Receive slots on the manager: requests/chunks from clients, hellos from executors. */
    static final ConnectionSpec LISTEN_SPEC = new ConnectionSpec(2, 256 * 1024 + 64, AccountingCounters.COUNT);

    private final ExecutorManagerConfig config;
    private final ExecutorLauncher launcher;
    private final LeaseTable leases;
    private final ExecutorLinks executors;
    private final ClientSessions clients;
    private final ConnectionAdmission admission = new ConnectionAdmission();
    private final PackageCache packages;
    private final ManagerMetrics metrics;
    private String metricsUrl;
    private final List<Transport> transports = new ArrayList<>();
    private final List<Listener> listenersOpen = new ArrayList<>();
    private final List<String> addresses = new ArrayList<>();
    /** Every accepted connection still served (clients keep theirs between leases): closed with the manager. */
    private final java.util.Set<Connection> connections = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private List<String> advertised = List.of();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("rfaas-em-timer").factory());
    private volatile boolean closed;
    /** The allocation path's rehearsal ({@link #rehearse}), joined on close: its scratch file is in the work directory. */
    private volatile Thread rehearsal;

    /**
     * Creates a manager; {@link #start()} opens its listeners.
     *
     * @param authority how leases are verified; {@code null} picks {@link TokenLeaseAuthority} when
     *     the config has a cluster secret, else {@link StaticLeaseAuthority}
     */
    public ExecutorManager(ExecutorManagerConfig config, LeaseAuthority authority) {
        this(config, authority, ExecutorClassPath.compute());
    }

    /** A manager whose executors run on {@code executorClassPath} (tests). */
    ExecutorManager(ExecutorManagerConfig config, LeaseAuthority authority, ExecutorClassPath executorClassPath) {
        config = ClusterSecret.ensure(config);
        this.config = config;
        this.launcher = new ExecutorLauncher(config, executorClassPath);
        if (authority == null) {
            authority = config.clusterSecret() != null
                    ? new TokenLeaseAuthority(LeaseToken.ofSecret(config.clusterSecret()))
                    : new StaticLeaseAuthority(config.defaultLeaseSeconds() * 1000);
        }
        this.leases = new LeaseTable(config, timer, this::leaseStartOver);
        this.executors = new ExecutorLinks(config, launcher, leases, timer);
        try {
            this.packages = new PackageCache(config.workDir().resolve("package-cache"), config.packageCacheBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the package cache in " + config.workDir() + ": "
                    + e.getMessage(), e);
        }
        launcher.preloadPackagesFrom(packages);
        this.clients = new ClientSessions(config, authority, leases, executors, packages, this::addressFor);
        this.metrics = new ManagerMetrics(new MetricsSource());
        leases.addListener(metrics);
    }

    /** The node's package cache (its counters say what clients shipped). */
    public PackageCache packageCache() {
        return packages;
    }

    /** The configuration. */
    public ExecutorManagerConfig config() {
        return config;
    }

    /** Adds a listener for lease events (e.g. the resource-manager link). */
    public void addLeaseListener(LeaseListener listener) {
        leases.addListener(listener);
    }

    /** Opens every listen address and starts accepting. Returns the actual addresses. */
    public synchronized List<String> start() {
        try {
            Files.createDirectories(config.workDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create work directory " + config.workDir() + ": " + e.getMessage(), e);
        }
        for (String address : config.listen()) {
            Transport t = Transports.open(Transports.transportOf(address));
            transports.add(t);
            Listener l = t.listen(address, LISTEN_SPEC);
            listenersOpen.add(l);
            addresses.add(l.address());
            Thread.ofPlatform().daemon().name("rfaas-em-accept-" + l.address()).start(() -> acceptLoop(l));
        }
        advertised = AdvertisedAddress.of(addresses, config.advertise(),
                config.resourceManager() == null ? null : AdvertisedAddress.hostOf(config.resourceManager().url()));
        LOG.info("executor manager {} listening on {}{} with {} cores and {} MiB", config.node(), addresses,
                advertised.equals(addresses) ? "" : " (advertised as " + advertised + ")", config.cores(),
                config.memoryMiB());
        if (config.metrics() != null) {
            int port = metrics.serve(config.metricsHost(), config.metricsPort());
            String host = config.metricsHost();
            metricsUrl = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/metrics";
            LOG.info("executor manager {} serves Prometheus metrics at {}", config.node(), metricsUrl);
        }
        launcher.trainIfMissing();
        rehearsal = Thread.ofPlatform().daemon().name("rfaas-em-rehearsal").start(this::rehearse);
        if (config.spareMemoryMiB() > 0) {
            String spareManagerAddress = addresses.stream().filter(a -> a.startsWith("shm:")).findFirst()
                    .orElse(addresses.getFirst());
            timer.execute(() -> executors.pool().ensure(config.spareMemoryMiB(), spareManagerAddress, false));
        }
        return List.copyOf(addresses);
    }

    /**
     * {@link ManagerRehearsal}, at this process's normal weight (a fraction of a second of CPU,
     * once): never at idle priority, which froze the whole manager at every safepoint while the
     * rehearsal waited for CPU on a loaded machine (see {@link ThreadPolicy}). A failure only costs
     * the first leases some time.
     */
    private void rehearse() {
        long t0 = System.nanoTime();
        try {
            ManagerRehearsal.run(config.workDir());
            LOG.debug("rehearsed the allocation path in {} ms", (System.nanoTime() - t0) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            LOG.warn("the rehearsal of the allocation path failed (the first leases start slower): {}", e.toString());
        }
    }

    /** The addresses clients connect to (after {@link #start()}). */
    public synchronized List<String> addresses() {
        return List.copyOf(addresses);
    }

    /**
     * The addresses others reach this manager at (after {@link #start()}), one per listen address:
     * the config's {@code advertise} entry of its transport, a reachable host for one bound to the
     * wildcard host ({@link AdvertisedAddress}), else the bound address itself.
     */
    public synchronized List<String> advertisedAddresses() {
        return advertised;
    }

    /** Where Prometheus metrics are served ({@code http://host:port/metrics}), or null when the config asks for none. */
    public synchronized String metricsUrl() {
        return metricsUrl;
    }

    /** What this node served since the manager started (sent to the resource manager with each heartbeat). */
    public NodeActivity activity() {
        return metrics.activity();
    }

    /** Leases currently served. */
    public Collection<LeaseRecord> activeLeases() {
        return leases.all().stream().map(ManagedLease::record).toList();
    }

    /** Final accounting of a lease that ended (the last {@value LeaseTable#ENDED_HISTORY} are kept). */
    public LeaseAccounting endedLeaseAccounting(long leaseId) {
        return leases.endedAccounting(leaseId);
    }

    /** Running totals of an active lease (what the executor flushed so far), or null. */
    public LeaseAccounting currentAccounting(long leaseId) {
        ManagedLease l = leases.get(leaseId);
        return l == null ? null : l.snapshot(System.nanoTime());
    }

    /** Tests: how long a starting lease may hold back spare boots (default {@link SparePool#READY_WAIT_MILLIS}). */
    void readyWait(Duration wait) {
        executors.pool().readyWait(wait);
    }

    /** Tests: how long spare boots wait after a lease's executor reported ready (default {@link SparePool#FIRST_CALL_GRACE_MILLIS}). */
    void firstCallGrace(Duration grace) {
        executors.pool().firstCallGrace(grace);
    }

    /** Connections that have not sent a valid request yet ({@link ConnectionAdmission}; tests). */
    int unprovenConnections() {
        return admission.unproven();
    }

    /** Whether the allocation path's rehearsal still runs (tests). */
    boolean rehearsing() {
        Thread r = rehearsal;
        return r != null && r.isAlive();
    }

    /** Spare executors connected and waiting for a lease (tests). */
    int connectedSpareCount() {
        return executors.pool().connectedCount();
    }

    /** Process ids of the spare executors started ahead of demand (connected or still booting), oldest first. */
    public List<Long> spareExecutorPids() {
        return executors.pool().pids();
    }

    /**
     * Each spare executor's CPU time so far, in nanoseconds by pid (-1 where unreadable), metered as
     * its lease would be (its sandbox cgroup, else its JVM): a measurement waits until spares are quiet.
     */
    public Map<Long, Long> spareExecutorCpuNanos() {
        return executors.pool().cpuNanos();
    }

    /** Whether executors now start from the AOT cache (see {@link ExecutorAotCache}). */
    public boolean executorAotCacheReady() {
        return launcher.aotCache().ready();
    }

    /** The pid of the JVM training the executors' AOT cache while it runs (a measurement waits for it). */
    public OptionalLong executorAotCacheTrainingPid() {
        return launcher.aotCache().trainingPid();
    }

    /** The executors' AOT cache. */
    ExecutorAotCache executorAotCache() {
        return launcher.aotCache();
    }

    /** The JVM command of a spare with this heap, up to its main class (tests). */
    List<String> javaCommand(long memoryMiB) {
        return launcher.javaCommand(memoryMiB);
    }

    /** The JVM command of an executor forked for a lease with this heap, up to its main class (tests). */
    List<String> forkedJavaCommand(long memoryMiB) {
        return launcher.javaCommand(memoryMiB, true);
    }

    /** Free cores right now. */
    public int freeCores() {
        return leases.freeCores();
    }

    /** Free memory right now. */
    public long freeMemoryMiB() {
        return leases.freeMemoryMiB();
    }

    /** Revokes a lease (node reclaim, operator): the client is told LEASE_REVOKED. */
    public boolean revoke(long leaseId) {
        ManagedLease l = leases.get(leaseId);
        if (l == null) {
            return false;
        }
        leases.endLease(l, LeaseEndReason.REVOKED);
        return true;
    }

    /**
     * Moves a lease's expiry later (a renewal at the resource manager); an earlier time is ignored.
     *
     * @return false when the lease is not served here
     */
    public boolean extend(long leaseId, long expiresAtEpochMillis) {
        return leases.extend(leaseId, expiresAtEpochMillis);
    }

    /** Revokes every lease (the batch system reclaims the node). */
    public void revokeAll() {
        leases.all().forEach(l -> leases.endLease(l, LeaseEndReason.REVOKED));
    }

    /** Stops every executor and closes the listeners. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        leases.shutDown();
        synchronized (this) {
            listenersOpen.forEach(Listener::close);
        }
        leases.all().forEach(l -> leases.endLease(l, LeaseEndReason.MANAGER_SHUTDOWN));
        long deadline = System.currentTimeMillis() + config.stopBoundMillis();
        while (!leases.all().isEmpty() && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (ManagedLease l : leases.all()) {
            Process p = l.process;
            if (p != null) {
                p.destroyForcibly();
            }
        }
        executors.pool().close();
        executors.awaitExits(Duration.ofSeconds(5));
        connections.forEach(Connection::close);
        launcher.close();
        metrics.close();
        timer.shutdownNow();
        transports.forEach(Transport::close);
        Thread r = rehearsal;
        if (r != null) {
            try {
                r.join(5_000); // on a busy node it may still be writing its scratch file
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LOG.info("executor manager {} stopped", config.node());
    }

    private void acceptLoop(Listener listener) {
        while (!closed) {
            Connection c;
            try {
                c = listener.accept(Duration.ofMillis(200));
            } catch (ProtocolException e) {
                LOG.warn("rejected a connection: {}", e.getMessage());
                continue;
            } catch (TransportException e) {
                if (!closed) {
                    LOG.error("listener {} failed: {}", listener.address(), e.getMessage());
                }
                return;
            }
            if (c != null) {
                ConnectionAdmission.Ticket ticket = admission.admit(ConnectionAdmission.sourceOf(c.peerDescription()));
                if (ticket == null) {
                    LOG.warn("closing a connection from {}: too many connections from it (or in all) that have not "
                            + "sent a valid request yet", c.peerDescription());
                    c.close();
                    continue;
                }
                connections.add(c);
                if (closed) {
                    c.close(); // close() may have passed the set already
                }
                Thread.ofPlatform().daemon().name("rfaas-em-conn").start(() -> serveConnection(c, ticket));
            }
        }
    }

    /** First message decides: an allocation request (client) or an executor hello. */
    private void serveConnection(Connection c, ConnectionAdmission.Ticket ticket) {
        Completion completion = new Completion();
        try {
            if (!ClientSessions.awaitFor(c, completion, ConnectionAdmission.FIRST_MESSAGE_TIMEOUT_NANOS)) {
                LOG.warn("{} sent nothing within {} ms; closing", c.peerDescription(),
                        ConnectionAdmission.FIRST_MESSAGE_TIMEOUT_NANOS / 1_000_000);
                c.close();
                return;
            }
            MemorySegment slot = c.receiveSlot(completion.slot());
            MessageType type = MessageHeader.check(slot, 0, completion.length(), MessageHeader.LENGTH);
            switch (type) {
                case ALLOCATION_REQUEST -> clients.serve(c, completion, ticket::release);
                case EXECUTOR_HELLO -> {
                    ticket.release(); // checked against its spawn secret next; a bad one is closed at once
                    executors.serve(c, completion);
                }
                default -> throw new ProtocolException(ProtocolError.BAD_TYPE,
                        "a connection must start with an allocation request or an executor hello, not " + type);
            }
        } catch (PeerFailedException e) {
            LOG.debug("{}: {}", c.peerDescription(), e.getMessage());
        } catch (ProtocolException e) {
            LOG.warn("closing {} after a protocol error: {}", c.peerDescription(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("connection {} failed", c.peerDescription(), e);
        } finally {
            ticket.release();
            c.close();
            connections.remove(c);
        }
    }

    /** A lease's start is over (connected or ended): spare boots held back for it may go on. */
    private void leaseStartOver(long leaseId) {
        executors.pool().leaseConnected(leaseId);
    }

    /** The manager's own address on the transport the client uses (executors connect there). */
    private String addressFor(String clientAddress) {
        String transport = Transports.transportOf(clientAddress);
        for (String a : addresses()) {
            if (Transports.transportOf(a).equals(transport)) {
                return a;
            }
        }
        return addresses().getFirst();
    }

    /** What the metrics read at each scrape. */
    private final class MetricsSource implements ManagerMetricsCollector.Source {
        @Override
        public int cores() {
            return config.cores();
        }

        @Override
        public long memoryMiB() {
            return config.memoryMiB();
        }

        @Override
        public int freeCores() {
            return leases.freeCores();
        }

        @Override
        public long freeMemoryMiB() {
            return leases.freeMemoryMiB();
        }

        @Override
        public int spareExecutors() {
            return executors.pool().pids().size();
        }

        @Override
        public boolean aotCacheReady() {
            return launcher.aotCache().ready();
        }

        @Override
        public List<ManagerMetricsCollector.LeaseUsage> leases() {
            long now = System.nanoTime();
            List<ManagerMetricsCollector.LeaseUsage> out = new ArrayList<>();
            for (ManagedLease l : leases.all()) {
                out.add(new ManagerMetricsCollector.LeaseUsage(l.id(), l.claims.tenant(), l.claims.cores(),
                        l.claims.memoryMiB(), l.snapshot(now)));
            }
            return out;
        }
    }
}
