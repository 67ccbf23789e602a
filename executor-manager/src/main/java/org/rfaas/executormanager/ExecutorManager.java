package org.rfaas.executormanager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.rfaas.executor.ExecutorMain;
import org.rfaas.executor.ExecutorSettings;
import org.rfaas.protocol.AccountingCounters;
import org.rfaas.protocol.AllocationRefusal;
import org.rfaas.protocol.AllocationRequest;
import org.rfaas.protocol.AllocationResponse;
import org.rfaas.protocol.ExecutorAssignment;
import org.rfaas.protocol.ExecutorHello;
import org.rfaas.protocol.ExecutorReady;
import org.rfaas.protocol.ExecutorShutdown;
import org.rfaas.protocol.LeaseAccounting;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.protocol.LeaseEnded;
import org.rfaas.protocol.MessageHeader;
import org.rfaas.protocol.MessageType;
import org.rfaas.protocol.PackageAck;
import org.rfaas.protocol.PackageChunk;
import org.rfaas.protocol.PackageKind;
import org.rfaas.protocol.ReleaseRequest;
import org.rfaas.protocol.lease.LeaseClaims;
import org.rfaas.protocol.lease.LeaseToken;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.Transports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor manager of one node: accepts allocation requests, verifies leases through a
 * {@link LeaseAuthority}, spawns one executor JVM per lease (heap = lease memory, workers = lease
 * cores), stops it at release, expiry or revocation (told first, SIGTERM after a grace period,
 * SIGKILL after another), reclaims the lease when the executor or the client dies, and reports
 * each lease's accounting to {@link LeaseListener}s.
 *
 * <p>Threads: one acceptor per listen address, one thread per connection (each blocks only in its
 * own connection's {@code await}), one timer thread. Child processes are watched with
 * {@link Process#onExit()}; nothing ever blocks on a child.
 */
public final class ExecutorManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorManager.class);
    /** Receive slots on the manager: requests/chunks from clients, hellos from executors. */
    static final ConnectionSpec LISTEN_SPEC = new ConnectionSpec(2, 256 * 1024 + 64, AccountingCounters.COUNT);
    private static final long HANDSHAKE_TIMEOUT_NANOS = 10_000_000_000L;
    private static final int CLIENT_RESPONSE_SLOT = 0;
    private static final int CLIENT_LEASE_END_SLOT = 1;
    private static final int ENDED_HISTORY = 1000;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Spare JVMs booting at once: one per core; more only slow each other and the leases starting. */
    private static final int MAX_BOOTING_SPARES = Math.max(1, Runtime.getRuntime().availableProcessors());
    /** How long a starting lease holds back spare boots at most, should its executor never report ready. */
    static final long READY_WAIT_MILLIS = 5_000;

    private final ExecutorManagerConfig config;
    private final ExecutorClassPath executorClassPath;
    private final Path cdsArchive;
    private final ExecutorAotCache aotCache;
    private final LeaseAuthority authority;
    private final List<LeaseListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<Long, ManagedLease> leases = new ConcurrentHashMap<>();
    private final Map<Long, LeaseAccounting> ended = java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, false) {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<Long, LeaseAccounting> eldest) {
                    return size() > ENDED_HISTORY;
                }
            });
    private final List<Transport> transports = new ArrayList<>();
    private final List<Listener> listenersOpen = new ArrayList<>();
    private final List<String> addresses = new ArrayList<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("rfaas-em-timer").factory());
    /** Spare executors, oldest first (at most {@link ExecutorManagerConfig#spareExecutors()}); guarded by itself. */
    private final List<SpareExecutor> spares = new ArrayList<>();
    private final Map<Long, SpareExecutor> sparesBySecret = new ConcurrentHashMap<>();
    /** Spares registered but not launched yet, with their manager address (guarded by {@link #spares}). */
    private final ArrayDeque<Map.Entry<SpareExecutor, String>> sparesToLaunch = new ArrayDeque<>();
    /** Spares whose JVM is booting: at most {@link #MAX_BOOTING_SPARES} (guarded by {@link #spares}). */
    private final List<SpareExecutor> bootingSpares = new ArrayList<>();
    /**
     * Leases whose executor has not yet reported its workers connected ({@link ExecutorReady});
     * while there is one, and a connected spare is still waiting for the next lease, no spare JVM
     * starts booting (guarded by {@link #spares}).
     */
    private final Set<Long> startingLeases = new HashSet<>();
    /** {@link #READY_WAIT_MILLIS}; longer in tests that hold a lease in its start on purpose. */
    private volatile long readyWaitMillis = READY_WAIT_MILLIS;
    private int usedCores;
    private long usedMemoryMiB;
    private volatile boolean closed;

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
        this.config = config;
        this.executorClassPath = executorClassPath;
        this.cdsArchive = executorClassPath.archive(config.workDir());
        this.aotCache = executorClassPath.aotCache(executorJvmOptions(), config.workDir());
        LOG.debug("executors: {} class path, CDS archive {}, AOT cache {}{}", executorClassPath.slim() ? "slim" : "full",
                cdsArchive, aotCache.file(), aotCache.unavailable() == null ? "" : " (" + aotCache.unavailable() + ")");
        if (authority == null) {
            authority = config.clusterSecret() != null
                    ? new TokenLeaseAuthority(LeaseToken.ofSecret(config.clusterSecret()))
                    : new StaticLeaseAuthority(config.defaultLeaseSeconds() * 1000);
        }
        this.authority = authority;
    }

    /** The configuration. */
    public ExecutorManagerConfig config() {
        return config;
    }

    /** Adds a listener for lease events (e.g. the resource-manager link). */
    public void addLeaseListener(LeaseListener listener) {
        listeners.add(listener);
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
        LOG.info("executor manager {} listening on {} with {} cores and {} MiB", config.node(), addresses,
                config.cores(), config.memoryMiB());
        aotCache.trainIfMissing(trainingCommand(), executorClassPath.classPath(), ExecutorMain.class.getName(),
                config.workDir());
        if (config.spareMemoryMiB() > 0) {
            String spareManagerAddress = addresses.stream().filter(a -> a.startsWith("shm:")).findFirst()
                    .orElse(addresses.getFirst());
            timer.execute(() -> ensureSpares(config.spareMemoryMiB(), spareManagerAddress, false));
        }
        return List.copyOf(addresses);
    }

    /** The addresses clients connect to (after {@link #start()}). */
    public synchronized List<String> addresses() {
        return List.copyOf(addresses);
    }

    /** Leases currently served. */
    public Collection<LeaseRecord> activeLeases() {
        return leases.values().stream().map(ManagedLease::record).toList();
    }

    /** Final accounting of a lease that ended (the last {@value #ENDED_HISTORY} are kept). */
    public LeaseAccounting endedLeaseAccounting(long leaseId) {
        return ended.get(leaseId);
    }

    /** Running totals of an active lease (what the executor flushed so far), or null. */
    public LeaseAccounting currentAccounting(long leaseId) {
        ManagedLease l = leases.get(leaseId);
        return l == null ? null : l.snapshot(System.nanoTime());
    }

    /** Tests: how long a starting lease may hold back spare boots (default {@link #READY_WAIT_MILLIS}). */
    void readyWait(Duration wait) {
        readyWaitMillis = wait.toMillis();
    }

    /** Spare executors connected and waiting for a lease (tests). */
    int connectedSpareCount() {
        int n = 0;
        synchronized (spares) {
            for (SpareExecutor sp : spares) {
                synchronized (sp) {
                    if (sp.connection != null && sp.lease == null) {
                        n++;
                    }
                }
            }
        }
        return n;
    }

    /** Process ids of the spare executors started ahead of demand (connected or still booting), oldest first. */
    public List<Long> spareExecutorPids() {
        List<Long> pids = new ArrayList<>();
        synchronized (spares) {
            for (SpareExecutor sp : spares) {
                synchronized (sp) {
                    if (sp.process != null) {
                        pids.add(sp.process.pid());
                    }
                }
            }
        }
        return pids;
    }

    /** Whether executors now start from the AOT cache (see {@link ExecutorAotCache}). */
    public boolean executorAotCacheReady() {
        return aotCache.ready();
    }

    /** The executors' AOT cache. */
    ExecutorAotCache executorAotCache() {
        return aotCache;
    }

    /** Free cores right now. */
    public synchronized int freeCores() {
        return config.cores() - usedCores;
    }

    /** Free memory right now. */
    public synchronized long freeMemoryMiB() {
        return config.memoryMiB() - usedMemoryMiB;
    }

    /** Revokes a lease (node reclaim, operator): the client is told LEASE_REVOKED. */
    public boolean revoke(long leaseId) {
        ManagedLease l = leases.get(leaseId);
        if (l == null) {
            return false;
        }
        endLease(l, LeaseEndReason.REVOKED);
        return true;
    }

    /**
     * Moves a lease's expiry later (a renewal at the resource manager); an earlier time is ignored.
     *
     * @return false when the lease is not served here
     */
    public boolean extend(long leaseId, long expiresAtEpochMillis) {
        ManagedLease l = leases.get(leaseId);
        if (l == null) {
            return false;
        }
        if (expiresAtEpochMillis > l.expiresAtEpochMillis) {
            l.expiresAtEpochMillis = expiresAtEpochMillis;
            LOG.info("lease {} renewed until {}", leaseId, java.time.Instant.ofEpochMilli(expiresAtEpochMillis));
        }
        return true;
    }

    /** Ends the lease at its (possibly extended) expiry. */
    private void scheduleExpiry(ManagedLease lease) {
        long delay = lease.expiresAtEpochMillis - System.currentTimeMillis();
        if (delay <= 0) {
            endLease(lease, LeaseEndReason.EXPIRED);
        } else {
            timer.schedule(() -> scheduleExpiry(lease), delay, TimeUnit.MILLISECONDS);
        }
    }

    /** Revokes every lease (the batch system reclaims the node). */
    public void revokeAll() {
        leases.values().forEach(l -> endLease(l, LeaseEndReason.REVOKED));
    }

    /** Stops every executor and closes the listeners. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (this) {
            listenersOpen.forEach(Listener::close);
        }
        leases.values().forEach(l -> endLease(l, LeaseEndReason.MANAGER_SHUTDOWN));
        long deadline = System.currentTimeMillis() + 3 * config.gracePeriodMillis() + 1000;
        while (!leases.isEmpty() && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (ManagedLease l : leases.values()) {
            Process p = l.process;
            if (p != null) {
                p.destroyForcibly();
            }
        }
        synchronized (spares) {
            for (SpareExecutor spare : spares) {
                retire(spare, true);
            }
            spares.clear();
        }
        aotCache.close();
        timer.shutdownNow();
        transports.forEach(Transport::close);
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
                Thread.ofPlatform().daemon().name("rfaas-em-conn").start(() -> serveConnection(c));
            }
        }
    }

    /** First message decides: an allocation request (client) or an executor hello. */
    private void serveConnection(Connection c) {
        Completion completion = new Completion();
        try {
            if (!awaitFor(c, completion, HANDSHAKE_TIMEOUT_NANOS)) {
                LOG.warn("{} sent nothing within 10 s; closing", c.peerDescription());
                c.close();
                return;
            }
            MemorySegment slot = c.receiveSlot(completion.slot());
            MessageType type = MessageHeader.check(slot, 0, completion.length(), MessageHeader.LENGTH);
            switch (type) {
                case ALLOCATION_REQUEST -> serveClient(c, completion);
                case EXECUTOR_HELLO -> serveExecutor(c, completion);
                default -> throw new ProtocolException(org.rfaas.transport.ProtocolError.BAD_TYPE,
                        "a connection must start with an allocation request or an executor hello, not " + type);
            }
        } catch (PeerFailedException e) {
            LOG.debug("{}: {}", c.peerDescription(), e.getMessage());
        } catch (ProtocolException e) {
            LOG.warn("closing {} after a protocol error: {}", c.peerDescription(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("connection {} failed", c.peerDescription(), e);
        } finally {
            c.close();
        }
    }

    private static boolean awaitFor(Connection c, Completion completion, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (!c.await(completion, 100_000_000L)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- clients

    private void serveClient(Connection c, Completion completion) {
        MemorySegment buffer = c.allocateBuffer(c.peerSpec().slotSize());
        AllocationRequest request;
        try {
            request = AllocationRequest.decode(c.receiveSlot(completion.slot()), 0, completion.length());
        } catch (ProtocolException e) {
            c.release(completion.slot());
            respond(c, buffer, new AllocationResponse(0, 0, AllocationRefusal.BAD_REQUEST, e.getMessage()));
            throw e;
        }
        c.release(completion.slot());
        LeaseClaims claims;
        try {
            claims = authority.authorize(request, config.node(), System.currentTimeMillis());
            reserve(claims, request);
        } catch (LeaseRefusedException e) {
            LOG.info("refused allocation from {}: {} {}", c.peerDescription(), e.refusal(), e.getMessage());
            respond(c, buffer, new AllocationResponse(request.leaseId(), 0, e.refusal(), e.getMessage()));
            drainUntilClosed(c, completion);
            return;
        }
        ManagedLease lease = null;
        Runnable afterAnswer;
        boolean reserved = true;
        try {
            Path dir = config.workDir().resolve("lease-" + claims.leaseId());
            Files.createDirectories(dir);
            Path pkg = dir.resolve(request.packageKind() == PackageKind.JAR ? "package.jar" : "package.so");
            if (!receivePackage(c, completion, buffer, request, pkg)) {
                return;
            }
            lease = new ManagedLease(claims, c, buffer, dir, RANDOM.nextLong());
            leases.put(lease.id(), lease);
            reserved = false; // the lease holds the capacity now; finish() gives it back
            afterAnswer = spawn(lease, request, pkg);
        } catch (IOException | RuntimeException e) {
            // The package could not be written or the executor not started (fork failed, a spare
            // went away, ...): the client gets a refusal naming the cause instead of a closed
            // connection, and the lease gives its capacity back.
            String what = lease == null ? "cannot write the package" : "cannot start an executor";
            LOG.error("lease {}: {}", claims.leaseId(), what, e);
            if (lease != null) {
                abandon(lease);
            }
            try {
                respond(c, buffer, new AllocationResponse(claims.leaseId(), 0, AllocationRefusal.SPAWN_FAILED,
                        "executor manager " + config.node() + " " + what + ": " + e));
            } catch (TransportException gone) {
                LOG.debug("lease {}: cannot tell the client: {}", claims.leaseId(), gone.getMessage());
            }
            return;
        } finally {
            if (reserved) {
                unreserve(claims);
            }
        }
        try {
            respond(c, buffer, new AllocationResponse(lease.id(), claims.expiresAtEpochMillis(),
                    AllocationRefusal.NONE, ""));
        } catch (TransportException e) {
            LOG.info("lease {}: the client went away before its allocation was answered: {}", lease.id(),
                    e.getMessage());
            afterAnswer.run();
            endLease(lease, LeaseEndReason.CLIENT_LOST);
            return;
        }
        afterAnswer.run();
        scheduleExpiry(lease);
        serveLeaseControl(lease, completion);
    }

    /**
     * A lease whose executor could not be started: stop whatever process it has (its exit finishes
     * the lease and frees the capacity), or, with none, drop the lease and free its capacity now.
     */
    private void abandon(ManagedLease lease) {
        Process p;
        synchronized (lease) {
            p = lease.process;
        }
        if (p != null) {
            endLease(lease, LeaseEndReason.ALLOCATION_FAILED);
            return;
        }
        synchronized (lease) {
            if (lease.state == ManagedLease.State.ENDED) {
                return;
            }
            lease.state = ManagedLease.State.ENDED;
        }
        if (leases.remove(lease.id(), lease)) {
            unreserve(lease.claims);
        }
        leaseConnected(lease.id()); // it will never report ready: spare boots need not wait for it
    }

    private synchronized void reserve(LeaseClaims claims, AllocationRequest request) {
        if (closed) {
            throw new LeaseRefusedException(AllocationRefusal.SHUTTING_DOWN, "executor manager " + config.node()
                    + " is shutting down");
        }
        if (leases.containsKey(claims.leaseId())) {
            throw new LeaseRefusedException(AllocationRefusal.INVALID_LEASE, "lease " + claims.leaseId()
                    + " already has an executor here");
        }
        if (usedCores + request.cores() > config.cores() || usedMemoryMiB + request.memoryMiB() > config.memoryMiB()) {
            throw new LeaseRefusedException(AllocationRefusal.INSUFFICIENT_CAPACITY, "node " + config.node() + " has "
                    + (config.cores() - usedCores) + " free cores and " + (config.memoryMiB() - usedMemoryMiB)
                    + " MiB free; asked for " + request.cores() + " cores and " + request.memoryMiB() + " MiB");
        }
        usedCores += request.cores();
        usedMemoryMiB += request.memoryMiB();
    }

    private synchronized void unreserve(LeaseClaims claims) {
        usedCores -= claims.cores();
        usedMemoryMiB -= claims.memoryMiB();
    }

    /** Acks the request, then every chunk but the last; returns false if the client went away. */
    private boolean receivePackage(Connection c, Completion completion, MemorySegment buffer,
            AllocationRequest request, Path file) throws IOException {
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            int received = 0;
            int length = PackageAck.write(buffer, 0, received);
            c.write(CLIENT_RESPONSE_SLOT, buffer, 0, length, 0);
            while (received < request.packageSize()) {
                if (!awaitFor(c, completion, HANDSHAKE_TIMEOUT_NANOS)) {
                    LOG.warn("client {} stopped sending its package at {} of {} bytes", c.peerDescription(), received,
                            request.packageSize());
                    return false;
                }
                MemorySegment slot = c.receiveSlot(completion.slot());
                int n = PackageChunk.validate(slot, 0, completion.length(), received, request.packageSize());
                out.write(slot.asSlice(PackageChunk.LENGTH, n).asByteBuffer());
                c.release(completion.slot());
                received += n;
                if (received < request.packageSize()) {
                    length = PackageAck.write(buffer, 0, received);
                    c.write(CLIENT_RESPONSE_SLOT, buffer, 0, length, 0);
                }
            }
        }
        return true;
    }

    private void respond(Connection c, MemorySegment buffer, AllocationResponse response) {
        synchronized (c) {
            int length = response.encode(buffer, 0);
            c.write(CLIENT_RESPONSE_SLOT, buffer, 0, length, 0);
        }
    }

    /** After a refusal: keep the connection until the client read the answer and closed it. */
    private static void drainUntilClosed(Connection c, Completion completion) {
        long deadline = System.nanoTime() + HANDSHAKE_TIMEOUT_NANOS;
        while (System.nanoTime() - deadline < 0) {
            if (c.await(completion, 100_000_000L)) {
                c.release(completion.slot());
            }
        }
    }

    /** Serves the client's control connection for the lease's life: release, or client death. */
    private void serveLeaseControl(ManagedLease lease, Completion completion) {
        Connection c = lease.client;
        try {
            while (true) {
                if (!c.await(completion, 200_000_000L)) {
                    continue;
                }
                MemorySegment slot = c.receiveSlot(completion.slot());
                long leaseId = ReleaseRequest.decode(slot, 0, completion.length());
                c.release(completion.slot());
                if (leaseId != lease.id()) {
                    throw new ProtocolException(org.rfaas.transport.ProtocolError.BAD_FIELD, "release names lease "
                            + leaseId + ", this connection holds lease " + lease.id());
                }
                endLease(lease, LeaseEndReason.RELEASED);
            }
        } catch (PeerFailedException e) {
            endLease(lease, LeaseEndReason.CLIENT_LOST);
        } catch (ProtocolException e) {
            LOG.warn("lease {}: protocol error from the client: {}", lease.id(), e.getMessage());
            endLease(lease, LeaseEndReason.CLIENT_LOST);
        } catch (TransportException e) {
            LOG.warn("lease {}: the client's control connection failed: {}", lease.id(), e.getMessage());
            endLease(lease, LeaseEndReason.CLIENT_LOST);
        }
    }

    // ---------------------------------------------------------------- executors

    /**
     * Starts the lease's executor: hands the lease to a spare, or forks a JVM. Returns what is left
     * to do once the client has its answer (the log line, topping the spares up): the client's
     * worker connections can only be accepted after the answer, so it goes first.
     */
    private Runnable spawn(ManagedLease lease, AllocationRequest request, Path pkg) throws IOException {
        String managerAddress = addressFor(request.clientAddress());
        // Before the executor can report ready: from here until then, spare boots wait.
        synchronized (spares) {
            startingLeases.add(lease.id());
        }
        try {
            timer.schedule(() -> leaseConnected(lease.id()), readyWaitMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // The manager is closing: no spare boots any more.
        }
        SpareExecutor spare = takeSpare(request.memoryMiB());
        boolean spareWasReady = false;
        if (spare != null) {
            synchronized (spare) {
                spareWasReady = spare.connection != null;
            }
        }
        Process p;
        if (spare != null) {
            ExecutorAssignment assignment = new ExecutorAssignment(lease.id(), request.nonce(),
                    request.hotTimeoutMicros(), request.cores(), request.inputCapacity(), request.outputCapacity(),
                    request.slotsPerWorker(), request.packageKind(), (int) config.flushIntervalMillis(),
                    request.clientAddress(), pkg.toAbsolutePath().toString(), request.functionNames());
            synchronized (spare) {
                spare.lease = lease;
                spare.assignment = assignment;
                p = spare.process;
                synchronized (lease) {
                    lease.process = p;
                }
                if (spare.connection != null) {
                    assign(spare);
                }
            }
        } else {
            ExecutorSettings settings = new ExecutorSettings(lease.id(), managerAddress, request.clientAddress(),
                    request.cores(), request.hotTimeoutMicros(), request.inputCapacity(), request.outputCapacity(),
                    request.slotsPerWorker(), request.packageKind(), pkg, request.functionNames(),
                    config.flushIntervalMillis(), lease.spawnSecret, 0);
            List<String> command = javaCommand(request.memoryMiB());
            command.addAll(settings.toArguments());
            ProcessBuilder pb = new ProcessBuilder(command).directory(lease.directory.toFile())
                    .redirectErrorStream(true).redirectOutput(lease.directory.resolve("executor.log").toFile());
            pb.environment().put(ExecutorSettings.SPAWN_SECRET_ENV, Long.toString(lease.spawnSecret));
            pb.environment().put(ExecutorSettings.CLIENT_NONCE_ENV, Long.toString(request.nonce()));
            p = pb.start();
            synchronized (lease) {
                lease.process = p;
            }
            p.onExit().thenRun(() -> onExecutorExit(lease));
        }
        notifyStarted(lease);
        boolean starved = spare == null || !spareWasReady;
        long pid = p.pid();
        return () -> {
            LOG.info("lease {} started: tenant {}, {} cores, {} MiB, executor pid {}{}, hot timeout {} us, expires in {} s",
                    lease.id(), lease.claims.tenant(), request.cores(), request.memoryMiB(), pid,
                    spare != null ? " (spare)" : "", request.hotTimeoutMicros(),
                    (lease.claims.expiresAtEpochMillis() - System.currentTimeMillis()) / 1000);
            try {
                ensureSpares(request.memoryMiB(), managerAddress, starved);
            } catch (RuntimeException e) {
                // The lease has its executor; spares are an optimisation for the next one.
                LOG.warn("lease {}: cannot top up the spare executors", lease.id(), e);
            }
        };
    }

    /**
     * The JVM command of an executor with a heap of {@code memoryMiB}, up to its main class. Tuned
     * for a short-lived, latency-critical process: the executor module's class path only, the AOT
     * cache when it is ready (else a dynamic class-data-sharing archive kept across runs), serial
     * GC, no perf-data file. The JIT stays fully tiered: C1 only would make the hot path slower.
     */
    List<String> javaCommand(long memoryMiB) {
        List<String> command = new ArrayList<>();
        command.add(javaExecutable());
        command.add("-Xmx" + memoryMiB + "m");
        if (aotCache.ready()) {
            // Classes come loaded and linked, with the training's method profiles, from the cache.
            command.add("-XX:AOTCache=" + aotCache.file());
        } else {
            // A dynamic class-data-sharing archive, made by the first executor, maps the classes of
            // every later one instead of loading them from JARs.
            command.add("-XX:+AutoCreateSharedArchive");
            command.add("-XX:SharedArchiveFile=" + cdsArchive);
            command.add("-Xlog:cds=off");
            command.add("-Xlog:cds+dynamic=off");
        }
        command.addAll(executorJvmOptions());
        command.add("-cp");
        command.add(executorClassPath.classPath());
        command.add(ExecutorMain.class.getName());
        return command;
    }

    /**
     * The options every executor JVM gets besides its heap and class-data archive; the AOT cache is
     * made with them (and is keyed by them: the JVM checks several of them when it maps a cache).
     */
    private List<String> executorJvmOptions() {
        List<String> options = new ArrayList<>();
        options.add("--enable-native-access=ALL-UNNAMED");
        options.add("-XX:+UseSerialGC");
        // No hsperfdata file to create and map at start (jstat cannot see executors; jcmd still can).
        options.add("-XX:-UsePerfData");
        // Logging is configured in code by ExecutorMain (the XML configuration cost 150-200 ms).
        options.add("-Xss1m");
        options.addAll(config.executorJvmArgs());
        return options;
    }

    /**
     * The training JVM of the AOT cache, up to the class path: the executors' options, at a lower
     * CPU priority when {@code nice} exists (the training must not slow the leases it is for).
     */
    private List<String> trainingCommand() {
        List<String> command = new ArrayList<>();
        for (String nice : List.of("/usr/bin/nice", "/bin/nice")) {
            if (Files.isExecutable(Path.of(nice))) {
                command.addAll(List.of(nice, "-n", "10"));
                break;
            }
        }
        command.add(javaExecutable());
        command.add("-Xmx256m");
        command.addAll(executorJvmOptions());
        return command;
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin",
                "java").toString());
    }

    /**
     * Takes a spare of this heap size: a connected one if there is one (the oldest), else the
     * oldest still booting; {@code null} when there is none.
     */
    private SpareExecutor takeSpare(long memoryMiB) {
        synchronized (spares) {
            SpareExecutor booting = null;
            for (SpareExecutor s : spares) {
                synchronized (s) {
                    if (s.memoryMiB != memoryMiB || s.process == null || !s.process.isAlive()) {
                        continue;
                    }
                    if (s.connection != null) {
                        spares.remove(s);
                        return s;
                    }
                    if (booting == null) {
                        booting = s;
                    }
                }
            }
            if (booting != null) {
                spares.remove(booting);
            }
            return booting;
        }
    }

    /**
     * Tops the spares up to {@link ExecutorManagerConfig#spareExecutors()} with executors of this
     * heap size (the one just asked for). When the lease found no ready spare of its size
     * ({@code starved}), the oldest spare of another size gives up its place: demand for this size
     * outran the spares, while that one sat idle. (Leases of sizes that alternate each find their
     * own spare ready, so they do not push each other out.) The spares are registered here, at once,
     * so that the next lease sees them; their JVMs start on the timer thread, so that the lease's
     * answer does not wait for a fork.
     */
    private void ensureSpares(long memoryMiB, String managerAddress, boolean starved) {
        synchronized (spares) {
            if (config.spareExecutors() == 0 || closed) {
                return;
            }
            if (starved) {
                for (SpareExecutor other : spares) {
                    if (other.memoryMiB != memoryMiB) {
                        spares.remove(other);
                        retire(other, false);
                        break;
                    }
                }
            }
            while (spares.size() < config.spareExecutors()) {
                SpareExecutor spare = new SpareExecutor(memoryMiB, RANDOM.nextLong());
                spares.add(spare);
                sparesBySecret.put(spare.secret, spare);
                sparesToLaunch.add(Map.entry(spare, managerAddress));
            }
        }
        launchNextSpare();
    }

    /**
     * Launches registered spares while fewer than {@link #MAX_BOOTING_SPARES} are booting: JVMs
     * booting beyond one per core take longer each, so the first spare is ready later, and every
     * boot competes with the cold starts in progress. (One at a time was measured too: the spares
     * then fell behind back-to-back allocations, median cold start ~180 ms instead of ~80 ms.)
     */
    private void launchNextSpare() {
        while (launchOneSpare()) {
            // until the limit or the queue is reached
        }
    }

    private boolean launchOneSpare() {
        Map.Entry<SpareExecutor, String> next = null;
        synchronized (spares) {
            if (bootingSpares.size() >= MAX_BOOTING_SPARES || closed || deferBoots()) {
                return false;
            }
            while (next == null && !sparesToLaunch.isEmpty()) {
                Map.Entry<SpareExecutor, String> e = sparesToLaunch.poll();
                synchronized (e.getKey()) {
                    if (!e.getKey().retired) {
                        next = e;
                    } else {
                        sparesBySecret.remove(e.getKey().secret);
                    }
                }
            }
            if (next == null) {
                return false;
            }
            bootingSpares.add(next.getKey());
        }
        Map.Entry<SpareExecutor, String> launch = next;
        timer.execute(() -> launchSpare(launch.getKey(), launch.getValue()));
        return true;
    }

    /**
     * A spare JVM booting takes a core for 150-300 ms: while a lease is starting it would slow that
     * cold start (measured: the cold start's own steps took 2-3x longer beside two booting JVMs on
     * 2 cores). So boots wait until the starting leases' workers are connected, unless no connected
     * spare is left: then the next lease waits for a boot anyway, and the boot must not wait.
     * Caller holds {@link #spares}.
     */
    private boolean deferBoots() {
        if (startingLeases.isEmpty()) {
            return false;
        }
        for (SpareExecutor s : spares) {
            synchronized (s) {
                if (s.connection != null && s.lease == null && !s.retired) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The executor of lease {@code leaseId} reported its workers connected, or the lease ended, or
     * {@link #READY_WAIT_MILLIS} passed: spare boots held back for it may start.
     */
    private void leaseConnected(long leaseId) {
        boolean was;
        synchronized (spares) {
            was = startingLeases.remove(leaseId);
        }
        if (was) {
            launchNextSpare();
        }
    }

    /** {@code spare} connected, died or could not start: the next one may boot. */
    private void spareBooted(SpareExecutor spare) {
        synchronized (spares) {
            if (!bootingSpares.remove(spare)) {
                return;
            }
        }
        launchNextSpare();
    }

    /** A spare that is no longer wanted: stopped now, or as soon as its JVM exists. */
    private static void retire(SpareExecutor spare, boolean forcibly) {
        synchronized (spare) {
            spare.retired = true;
            if (spare.process != null) {
                if (forcibly) {
                    spare.process.destroyForcibly();
                } else {
                    spare.process.destroy();
                }
            }
        }
    }

    private void launchSpare(SpareExecutor spare, String managerAddress) {
        synchronized (spare) {
            if (spare.retired || closed) {
                sparesBySecret.remove(spare.secret);
                spareBooted(spare);
                return;
            }
        }
        try {
            List<String> command = javaCommand(spare.memoryMiB);
            command.addAll(List.of("--spare", "--manager", managerAddress));
            Path log = config.workDir().resolve("spare-" + spare.secret + ".log");
            ProcessBuilder pb = new ProcessBuilder(command).directory(config.workDir().toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put(ExecutorSettings.SPAWN_SECRET_ENV, Long.toString(spare.secret));
            Process p = pb.start();
            synchronized (spare) {
                spare.process = p;
                if (spare.retired || closed) {
                    p.destroyForcibly();
                }
            }
            p.onExit().thenRun(() -> onSpareExit(spare, log));
            LOG.debug("spare executor pid {} with {} MiB starting", p.pid(), spare.memoryMiB);
        } catch (IOException e) {
            LOG.warn("cannot start a spare executor: {}", e.getMessage());
            synchronized (spares) {
                spares.remove(spare);
            }
            sparesBySecret.remove(spare.secret);
            spareBooted(spare);
        }
    }

    private void onSpareExit(SpareExecutor spare, Path log) {
        sparesBySecret.remove(spare.secret);
        spareBooted(spare);
        ManagedLease lease;
        synchronized (spare) {
            lease = spare.lease;
        }
        synchronized (spares) {
            spares.remove(spare);
        }
        if (lease != null) {
            try {
                Path leaseLog = lease.directory.resolve("executor.log");
                if (Files.exists(log) && !Files.exists(leaseLog)) {
                    Files.move(log, leaseLog);
                }
            } catch (IOException e) {
                LOG.debug("lease {}: cannot move the spare's log: {}", lease.id(), e.getMessage());
            }
            onExecutorExit(lease);
        } else {
            try {
                Files.deleteIfExists(log);
            } catch (IOException e) {
                LOG.debug("cannot delete {}: {}", log, e.getMessage());
            }
        }
    }

    /** Sends the spare its lease (spare lock held, connection present). */
    private void assign(SpareExecutor spare) {
        ManagedLease lease = spare.lease;
        try {
            int length = spare.assignment.encode(spare.buffer, 0);
            spare.connection.write(0, spare.buffer, 0, length, 0);
        } catch (TransportException e) {
            LOG.warn("lease {}: cannot hand the lease to spare executor pid {}: {}", lease.id(), spare.process.pid(),
                    e.getMessage());
            spare.process.destroyForcibly();
            return;
        }
        attachExecutor(lease, spare.connection);
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

    private void serveExecutor(Connection c, Completion completion) {
        ExecutorHello hello = ExecutorHello.decode(c.receiveSlot(completion.slot()), 0, completion.length());
        c.release(completion.slot());
        SpareExecutor spare = null;
        ManagedLease lease = null;
        if (hello.leaseId() == 0) {
            spare = sparesBySecret.get(hello.secret());
            if (spare == null) {
                throw new ProtocolException(org.rfaas.transport.ProtocolError.BAD_FIELD,
                        "spare executor hello does not match a spare started here");
            }
            synchronized (spare) {
                spare.connection = c;
                spare.buffer = c.allocateBuffer(c.peerSpec().slotSize());
                if (spare.lease != null) {
                    assign(spare);
                }
            }
            spareBooted(spare);
        } else {
            lease = leases.get(hello.leaseId());
            if (lease == null || lease.spawnSecret != hello.secret()) {
                throw new ProtocolException(org.rfaas.transport.ProtocolError.BAD_FIELD, "executor hello for lease "
                        + hello.leaseId() + " does not match a lease spawned here");
            }
            attachExecutor(lease, c);
        }
        // Keep receiving: providers without one-sided atomics apply the executor's fetch-and-adds here.
        try {
            while (true) {
                if (c.await(completion, 200_000_000L)) {
                    onExecutorMessage(c, completion, hello, spare, lease);
                }
            }
        } catch (PeerFailedException e) {
            LOG.debug("executor pid {}: connection closed", hello.pid());
        } finally {
            if (spare != null) {
                synchronized (spare) {
                    lease = spare.lease;
                }
            }
            if (lease != null) {
                synchronized (lease) {
                    lease.finalCounters = readCountersIgnoringState(lease, c);
                }
            }
        }
    }

    /** A message on an executor's accounting connection after its hello: only {@link ExecutorReady}. */
    private void onExecutorMessage(Connection c, Completion completion, ExecutorHello hello, SpareExecutor spare,
            ManagedLease lease) {
        try {
            MemorySegment slot = c.receiveSlot(completion.slot());
            long leaseId = ExecutorReady.decode(slot, 0, completion.length());
            if (spare != null) {
                synchronized (spare) {
                    lease = spare.lease;
                }
            }
            if (lease == null || lease.id() != leaseId) {
                LOG.warn("executor pid {} reported lease {} ready, it serves {}", hello.pid(), leaseId,
                        lease == null ? "none" : lease.id());
                return;
            }
            leaseConnected(leaseId);
        } catch (ProtocolException e) {
            LOG.warn("unexpected message from executor pid {} ignored: {}", hello.pid(), e.getMessage());
        } finally {
            c.release(completion.slot());
        }
    }

    /** The lease's executor is connected: its counters are the lease's accounting. */
    private void attachExecutor(ManagedLease lease, Connection c) {
        synchronized (lease) {
            if (lease.state != ManagedLease.State.STARTING) {
                LOG.warn("lease {}: executor connected while {}", lease.id(), lease.state);
            }
            lease.executor = c;
            lease.executorBuffer = c.allocateBuffer(64);
            if (lease.state == ManagedLease.State.STARTING) {
                lease.state = ManagedLease.State.RUNNING;
            } else if (lease.state == ManagedLease.State.STOPPING) {
                tellExecutor(lease);
            }
        }
    }

    /** Reads counters from {@code c} even after the peer closed (the memory stays until we close). */
    private static long[] readCountersIgnoringState(ManagedLease lease, Connection c) {
        long[] v = new long[AccountingCounters.COUNT];
        for (int i = 0; i < v.length; i++) {
            try {
                v[i] = Math.max(0, c.localCounter(i));
            } catch (RuntimeException e) {
                LOG.warn("lease {}: cannot read accounting counter {}: {}", lease.id(), i, e.getMessage());
            }
        }
        return v;
    }

    private void onExecutorExit(ManagedLease lease) {
        onExecutorExit(lease, 0);
    }

    /**
     * Finishes the lease once the accounting connection has also ended (its final counters read):
     * the process exit can be seen before the connection's end, so wait for it a little, on the timer.
     */
    private void onExecutorExit(ManagedLease lease, int attempt) {
        boolean waitForCounters;
        synchronized (lease) {
            waitForCounters = lease.executor != null && lease.finalCounters == null && attempt < 150;
        }
        if (waitForCounters) {
            timer.schedule(() -> onExecutorExit(lease, attempt + 1), 20, TimeUnit.MILLISECONDS);
            return;
        }
        try {
            handleExecutorExit(lease);
        } catch (RuntimeException e) {
            LOG.error("lease {}: failed to finish after the executor exited", lease.id(), e);
        }
    }

    private void handleExecutorExit(ManagedLease lease) {
        int code = lease.process.exitValue();
        LeaseEndReason reason;
        synchronized (lease) {
            reason = lease.state == ManagedLease.State.STOPPING ? lease.endReason
                    : lease.executor == null ? LeaseEndReason.ALLOCATION_FAILED : LeaseEndReason.EXECUTOR_DIED;
            lease.endReason = reason;
        }
        String detail = reason == LeaseEndReason.EXECUTOR_DIED || reason == LeaseEndReason.ALLOCATION_FAILED
                ? "executor exited with code " + code + lastLogLine(lease) : "";
        finish(lease, reason, detail);
    }

    private static String lastLogLine(ManagedLease lease) {
        try {
            List<String> lines = Files.readAllLines(lease.directory.resolve("executor.log"));
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).startsWith("rfaas-executor: ")) {
                    return ": " + lines.get(i).substring("rfaas-executor: ".length());
                }
            }
            return lines.isEmpty() ? "" : ": " + lines.getLast();
        } catch (IOException e) {
            return " (executor log unreadable: " + e.getMessage() + ")";
        }
    }

    /** Starts stopping a lease: tell the executor, then SIGTERM, then SIGKILL. Idempotent. */
    void endLease(ManagedLease lease, LeaseEndReason reason) {
        Process p;
        synchronized (lease) {
            if (lease.state == ManagedLease.State.STOPPING || lease.state == ManagedLease.State.ENDED) {
                return;
            }
            lease.state = ManagedLease.State.STOPPING;
            lease.endReason = reason;
            p = lease.process;
            if (lease.executor != null) {
                tellExecutor(lease);
            }
        }
        LOG.info("lease {} stopping: {}", lease.id(), reason);
        if (p == null) {
            return;
        }
        long grace = config.gracePeriodMillis();
        if (lease.executor == null) {
            p.destroy();
        }
        timer.schedule(() -> {
            if (p.isAlive()) {
                LOG.warn("lease {}: executor pid {} still running {} ms after being told to stop; SIGTERM", lease.id(),
                        p.pid(), grace);
                p.destroy();
                timer.schedule(() -> {
                    if (p.isAlive()) {
                        LOG.warn("lease {}: executor pid {} ignored SIGTERM; SIGKILL", lease.id(), p.pid());
                        p.destroyForcibly();
                    }
                }, grace, TimeUnit.MILLISECONDS);
            }
        }, grace, TimeUnit.MILLISECONDS);
    }

    private static void tellExecutor(ManagedLease lease) {
        try {
            int length = ExecutorShutdown.write(lease.executorBuffer, 0, lease.endReason);
            lease.executor.write(0, lease.executorBuffer, 0, length, 0);
        } catch (TransportException e) {
            LOG.debug("lease {}: cannot tell the executor to stop: {}", lease.id(), e.getMessage());
        }
    }

    /** The executor is gone: account, tell the client and the listeners, free the capacity. */
    private void finish(ManagedLease lease, LeaseEndReason reason, String detail) {
        LeaseAccounting accounting = lease.snapshot(System.nanoTime());
        synchronized (lease) {
            if (lease.state == ManagedLease.State.ENDED) {
                return;
            }
            lease.state = ManagedLease.State.ENDED;
            lease.accounting = accounting;
            if (lease.executor != null) {
                lease.executor.close();
            }
        }
        leases.remove(lease.id());
        unreserve(lease.claims);
        leaseConnected(lease.id());
        ended.put(lease.id(), accounting);
        LOG.info("lease {} ended: {}{}; allocation {} ms, compute {} ms, hot polling {} ms, {} invocations ({} failed)",
                lease.id(), reason, detail.isEmpty() ? "" : " (" + detail + ")", accounting.allocationNanos() / 1_000_000,
                accounting.computeNanos() / 1_000_000, accounting.hotPollNanos() / 1_000_000, accounting.invocations(),
                accounting.failedInvocations());
        try {
            synchronized (lease.client) {
                if (lease.client.isOpen()) {
                    int length = new LeaseEnded(lease.id(), reason, accounting, detail).encode(lease.clientBuffer, 0);
                    lease.client.write(CLIENT_LEASE_END_SLOT, lease.clientBuffer, 0, length, 0);
                }
            }
        } catch (TransportException e) {
            LOG.debug("lease {}: cannot tell the client: {}", lease.id(), e.getMessage());
        }
        if (reason != LeaseEndReason.EXECUTOR_DIED && reason != LeaseEndReason.ALLOCATION_FAILED) {
            deleteLeaseDirectory(lease); // a failed lease keeps its package and executor.log for a post-mortem
        }
        for (LeaseListener l : listeners) {
            try {
                l.leaseEnded(lease.record(), reason, accounting);
            } catch (RuntimeException e) {
                LOG.error("lease listener {} failed on lease {}", l, lease.id(), e);
            }
        }
    }

    private static void deleteLeaseDirectory(ManagedLease lease) {
        try (var paths = Files.walk(lease.directory)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warn("lease {}: cannot delete {}: {}", lease.id(), lease.directory, e.getMessage());
        }
    }

    private void notifyStarted(ManagedLease lease) {
        for (LeaseListener l : listeners) {
            try {
                l.leaseStarted(lease.record());
            } catch (RuntimeException e) {
                LOG.error("lease listener {} failed on lease {}", l, lease.id(), e);
            }
        }
    }

    static byte[] bytesOf(MemorySegment segment, long offset, int length) {
        byte[] out = new byte[length];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, out, 0, length);
        return out;
    }
}
