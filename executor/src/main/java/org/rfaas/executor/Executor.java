package org.rfaas.executor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.rfaas.protocol.ExecutorAssignment;
import org.rfaas.protocol.ExecutorReady;
import org.rfaas.protocol.ExecutorShape;
import org.rfaas.protocol.ExecutorShutdown;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.protocol.PackageKind;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.Transports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor process of one lease: connects to its manager (accounting), gets its one
 * {@link ExecutorAssignment} (the only way it learns its lease: a spare, started ahead of demand,
 * waits for it on the manager link; one forked for the lease reads it at start from the file the
 * manager wrote), loads the function package, starts one
 * {@link Worker} per leased core (each connected to the client), flushes accounting deltas with
 * remote fetch-and-add every flush interval and at exit, and stops when the manager says so, when
 * every client connection is gone, or on SIGTERM.
 *
 * <p>Threads: {@link #run()}'s caller supervises (and connects the workers); one thread per
 * worker. A spare's helper thread warms up while it waits, then loads the lease's package and
 * serves as worker 0; an executor forked for its lease loads the package on a short-lived thread
 * from its start, while it connects to the manager and its workers connect to the client.
 */
public final class Executor {
    private static final Logger LOG = LoggerFactory.getLogger(Executor.class);
    private static final long STOP_JOIN_MILLIS = 2_000;
    /** Longest wait for the warm-up when the assignment comes first (it is done in a few ms when idle). */
    private static final Duration WARM_UP_JOIN = Duration.ofSeconds(2);
    /** Where {@link ExecutorReady} is written in the control buffer, after the hello's bytes. */
    private static final int READY_OFFSET = 32;

    private final String managerAddress;
    private final long spawnSecret;
    private final boolean spare;
    /** What this executor serves, from the manager; set once, before any worker starts. */
    private ExecutorAssignment assignment;
    private ExecutorShape shape;
    private final AccountingFlusher flusher = new AccountingFlusher();
    private final List<Worker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile LeaseEndReason externalStop;
    private volatile boolean warmedUp;
    /** Client transports a spare opens while it waits (see {@link #preloadTransports}), and where from. */
    private final PreloadHints preload;
    /** What the warm-up opened, by transport name; read after the warm-up thread was joined. */
    private final Map<String, Transport> preloaded = new ConcurrentHashMap<>();
    private final PreloadedPackage.Source preloadSource;
    /** The assignment file of an executor forked for its lease; {@code null} when the assignment comes over the link. */
    private final Path staged;
    /** What the warm-up preloaded from {@link #preloadSource}; taken (once) by the lease. */
    private final AtomicReference<PreloadedPackage> preloadedPackage = new AtomicReference<>();
    /** A spare's helper thread: its lease (null: none), the functions it loaded, its worker (null: none). */
    private final CompletableFuture<ExecutorAssignment> helperLease = new CompletableFuture<>();
    private final CompletableFuture<FunctionTable> helperLoaded = new CompletableFuture<>();
    private final CompletableFuture<Worker> helperWorker = new CompletableFuture<>();
    /** Whoever sets it loads the lease's package: the helper, or the lease when the helper is late. */
    private final AtomicBoolean loadClaimed = new AtomicBoolean();
    /** Counted down once a spare's warm-up is over (it opens the transports a lease may connect over). */
    private final CountDownLatch transportsReady = new CountDownLatch(1);
    private volatile boolean reusedPreloadedPackage;
    private final AtomicInteger rehearsedCalls = new AtomicInteger();
    /** The lease's assignment line, until it is written at the first flush ({@link #announceOnce}). */
    private Runnable announce;

    /**
     * An executor that connects to its manager and waits for its {@link ExecutorAssignment}.
     *
     * @param managerAddress where the manager that started this process listens
     * @param spawnSecret what the manager put in this process's environment
     * @param spare started ahead of demand: it warms package loading up while it waits (a JVM
     *     forked for a lease gets its assignment at once, and the warm-up would only delay it)
     */
    public Executor(String managerAddress, long spawnSecret, boolean spare) {
        this(managerAddress, spawnSecret, spare, List.of());
    }

    /**
     * As {@link #Executor(String, long, boolean)}; a spare also opens {@code preload} (the node's
     * client transports) while it waits, so that its lease does not pay for their start.
     */
    public Executor(String managerAddress, long spawnSecret, boolean spare, List<String> preload) {
        this(managerAddress, spawnSecret, spare, preload, null);
    }

    /**
     * As {@link #Executor(String, long, boolean, List)}; a spare also loads {@code preloadPackage}
     * (the node's most recent package, or {@code null}) while it waits, without initialising it,
     * for a lease of the same package to reuse (see {@link PreloadedPackage}).
     */
    Executor(String managerAddress, long spawnSecret, boolean spare, List<String> preload,
            PreloadedPackage.Source preloadPackage) {
        this(managerAddress, spawnSecret, spare, preload, preloadPackage, null);
    }

    /**
     * As {@link #Executor(String, long, boolean, List, PreloadedPackage.Source)}; an executor
     * forked for a lease may be given its assignment ({@code staged}: the file the manager wrote
     * it to), and then does not wait for it after its hello.
     */
    Executor(String managerAddress, long spawnSecret, boolean spare, List<String> preload,
            PreloadedPackage.Source preloadPackage, Path staged) {
        if (spare && staged != null) {
            throw new IllegalArgumentException("a spare gets its assignment from its manager link");
        }
        this.managerAddress = managerAddress;
        this.spawnSecret = spawnSecret;
        this.spare = spare;
        this.preload = new PreloadHints(preload, managerAddress);
        this.preloadSource = spare ? preloadPackage : null;
        this.staged = staged;
    }

    /** Runs until the lease ends; returns the process exit code. */
    public int run() {
        // A spare loads a package of its own while it boots, so that its lease's package loads
        // along code that already ran (class initialisation, constant pool resolution).
        Thread helper = spare ? Thread.ofPlatform().daemon().name("rfaas-spare-helper").start(this::helpAsSpare) : null;
        // With its assignment at hand, a forked executor reads it and loads its package while it
        // connects to the manager (read and checked first, it cost the main thread 10-30 ms).
        StagedAssignment loading = staged != null ? StagedAssignment.load(staged) : null;
        Transport managerTransport = Transports.open(Transports.transportOf(managerAddress));
        if (spare) {
            preload.keepPrepared(managerTransport, 1);
        }
        Transport clientTransport = null;
        ManagerLink link = ManagerLink.open(managerTransport, managerAddress, spawnSecret);
        try {
            if (loading == null) {
                assignment = link.awaitAssignment(() -> externalStop != null);
            } else {
                try {
                    assignment = WorkerConnector.await(loading.assignment());
                } catch (IllegalArgumentException e) {
                    System.err.println("rfaas-executor: " + e.getMessage());
                    return 2;
                }
            }
            if (assignment == null) {
                return 0;
            }
            Connection manager = link.connection();
            MemorySegment control = link.control();
            shape = assignment.shape();
            long assignedAt = System.nanoTime();
            helperLease.complete(assignment); // the helper loads the package once warmed up
            awaitQuietly(transportsReady);
            String clientTransportName = Transports.transportOf(assignment.clientAddress());
            clientTransport = sameTransport(managerAddress, assignment.clientAddress()) ? managerTransport
                    : preloaded.remove(clientTransportName);
            if (clientTransport == null) {
                clientTransport = Transports.open(clientTransportName);
            }
            if (spare) {
                preload.keepPrepared(clientTransport, 0); // the lease's connections take what is ready; no refill
            }
            // The worker connections are made while the package loads: connecting waits on the
            // client (handshake round trips), loading uses the CPU, so together they take about
            // the time of the longer one. The client keeps a connection pending until its hello,
            // which the worker sends once it has the function table.
            WorkerConnector connector = new WorkerConnector(assignment, clientTransport, () -> externalStop != null);
            List<Connection> connections;
            FunctionTable functions;
            Thread workerZero = null;
            if (helper != null) {
                // A spare's helper thread loads (no thread start here); this thread connects.
                connections = connector.connectAll();
                try {
                    functions = helperFunctions(assignedAt);
                } catch (RuntimeException | Error e) {
                    connections.forEach(Connection::close);
                    throw e;
                }
                workerZero = functions != null ? helper : null;
                if (functions == null) {
                    functions = loadFunctions();
                }
            } else {
                CompletableFuture<List<Connection>> connecting = connector.start();
                try {
                    functions = loading != null ? WorkerConnector.await(loading.functions()) : loadFunctions();
                } catch (RuntimeException e) {
                    connecting.whenComplete((list, failure) -> {
                        if (list != null) {
                            list.forEach(Connection::close);
                        }
                    });
                    throw e;
                }
                connections = WorkerConnector.await(connecting);
            }
            startWorkers(connections, functions, workerZero);
            // The workers' hellos complete the client's allocation; the manager's ready notice
            // only lets spare boots go on. On a one-core lease the notice went first (1 ms).
            Thread.yield();
            reportReady(manager, control);
            FunctionTable loaded = functions;
            // Logged at the first accounting flush (or the stop, if sooner), not now: the first log
            // line of a lease costs 0.3-0.7 ms of CPU, on the lease's core, beside its first call.
            announce = () -> LOG.info("{} assigned to lease {}: loaded {} function(s) {} from {}{}",
                    spare ? "spare executor" : "executor", assignment.leaseId(), loaded.size(), loaded.names(),
                    Path.of(assignment.packagePath()).getFileName(),
                    reusedPreloadedPackage ? " (preloaded while the spare waited)" : "");
            LeaseEndReason reason = superviseUntilStop(manager);
            announceOnce();
            LOG.info("lease {}: stopping ({})", assignment.leaseId(), reason);
            stopWorkers(reason);
            flush(manager);
            return 0;
        } catch (FunctionLoadException e) {
            LOG.error("lease {}: {}", assignment.leaseId(), e.getMessage());
            System.err.println("rfaas-executor: " + e.getMessage());
            return 3;
        } finally {
            helperLease.complete(null);
            helperWorker.complete(null);
            link.close();
            managerTransport.close();
            if (clientTransport != null && clientTransport != managerTransport) {
                clientTransport.close();
            }
            preloaded.values().forEach(Transport::close);
            finished.countDown();
        }
    }

    /**
     * Tells the manager that every worker is connected (slot 1: the hello used slot 0), so that it
     * starts booting replacement spares now rather than beside this cold start. Best effort: a
     * manager that misses it starts them at the lease's end or after 5 s anyway.
     */
    private void reportReady(Connection manager, MemorySegment control) {
        try {
            int length = ExecutorReady.write(control, READY_OFFSET, assignment.leaseId());
            manager.write(1, control, READY_OFFSET, length, 0);
        } catch (TransportException e) {
            LOG.warn("lease {}: cannot tell the manager that the workers are connected: {}", assignment.leaseId(),
                    e.getMessage());
        }
    }

    /**
     * Loads the executor's own training package ({@link TrainingEcho}, not user code; nothing is
     * invoked): the first package a JVM loads pays for the class loader, JAR and service-loader
     * code running for the first time (measured: 34-54 ms for the examples JAR in a fresh JVM,
     * 10-15 ms after one other package). A failure only costs the warm-up.
     */
    private void warmUpPackageLoading() {
        preloadTransports();
        transportsReady.countDown(); // the lease may connect now; the rest only makes loading faster
        try {
            SpareRehearsal.run();
        } catch (RuntimeException e) {
            LOG.debug("lease path rehearsal failed: {}", e.toString());
        }
        Path jar = null;
        FunctionTable training = null;
        try {
            jar = Files.createTempFile("rfaas-warm-up-", ".jar");
            ExecutorTraining.writePackage(jar);
            training = FunctionTable.loadJar(jar);
            warmedUp = true;
        } catch (IOException | RuntimeException e) {
            LOG.debug("package loading warm-up failed: {}", e.toString());
        } finally {
            if (jar != null) {
                try {
                    Files.deleteIfExists(jar);
                } catch (IOException e) {
                    LOG.debug("cannot delete {}: {}", jar, e.toString());
                }
            }
        }
        // The lease joins this thread (up to WARM_UP_JOIN) before it looks for the preload.
        preloadPackage();
        if (training != null) {
            rehearseServing(training);
        }
    }

    /** {@link SpareServingRehearsal} over the manager's transport and the preloaded ones, in the background. */
    private void rehearseServing(FunctionTable training) {
        String own = Transports.transportOf(managerAddress);
        List<String> names = new ArrayList<>(List.of(own));
        preload.names.stream().filter(n -> !n.equals(own)).forEach(names::add);
        SpareServingRehearsal.start(names, preloaded::get, training, helperLease::isDone, rehearsedCalls::addAndGet);
    }

    /**
     * A spare's helper thread: warms up while the spare waits, then loads its lease's package
     * (unless the lease took that over, see {@link #helperFunctions}) and serves as worker 0, so
     * that a lease on a spare starts no thread before its first worker says hello.
     */
    private void helpAsSpare() {
        try {
            warmUpPackageLoading();
        } finally {
            transportsReady.countDown();
        }
        ExecutorAssignment lease = helperLease.join();
        if (lease == null || !loadClaimed.compareAndSet(false, true)) {
            return;
        }
        // Woken by the assignment, this thread took the lease's only core from the thread that
        // woke it, and loaded the package (0.9 ms) before that thread could start the workers'
        // connections. Yielded, the connections start first and the package loads while they wait
        // on the client.
        Thread.yield();
        try {
            helperLoaded.complete(loadFunctions());
        } catch (Throwable t) {
            helperLoaded.completeExceptionally(t);
            return;
        }
        Worker w = helperWorker.join();
        if (w != null) {
            Thread.currentThread().setName("rfaas-worker-0");
            w.run();
        }
    }

    /**
     * The functions the helper loaded, or {@code null} when it was still warming up
     * {@link #WARM_UP_JOIN} after the assignment (the lease loads them itself then).
     */
    private FunctionTable helperFunctions(long assignedAt) {
        long left = WARM_UP_JOIN.toNanos() - (System.nanoTime() - assignedAt);
        try {
            return helperLoaded.get(Math.max(0, left), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            if (loadClaimed.compareAndSet(false, true)) {
                return null;
            }
            return WorkerConnector.await(helperLoaded); // it is loading: wait for it
        } catch (ExecutionException e) {
            return WorkerConnector.await(helperLoaded); // rethrows the failure as it was
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the package loaded", e);
        }
    }

    /** The lease's functions: from the spare's preloaded package if it is the same, else loaded now. */
    private FunctionTable loadFunctions() {
        FunctionTable functions = reusePreloadedPackage();
        return functions != null ? functions : FunctionTable.load(assignment.packageKind(),
                Path.of(assignment.packagePath()), assignment.functionNames());
    }

    /**
     * The lease's functions from the preloaded package when the lease's package has the same
     * bytes, else {@code null} (and the preloaded classes are dropped).
     */
    private FunctionTable reusePreloadedPackage() {
        PreloadedPackage p = preloadedPackage.getAndSet(null);
        if (p == null) {
            return null;
        }
        if (assignment.packageKind() == PackageKind.JAR) {
            try {
                FunctionTable table = p.tableFor(assignment.packageDigest(), Path.of(assignment.packagePath()));
                if (table != null) {
                    reusedPreloadedPackage = true;
                    return table;
                }
            } catch (IOException e) {
                LOG.debug("lease {}: cannot compare the package with the preloaded one: {}", assignment.leaseId(),
                        e.toString());
            }
        }
        p.discard();
        return null;
    }

    /** Loads {@link #preloadSource} (the warm-up's last step); a failure only costs the preload. */
    private void preloadPackage() {
        if (preloadSource == null) {
            return;
        }
        long start = System.nanoTime();
        try {
            preloadedPackage.set(PreloadedPackage.load(preloadSource.file(), preloadSource.digest()));
            // Once per spare, while it waits: says whether a lease that comes later can reuse it.
            LOG.info("spare: preloaded package {} in {} ms", preloadSource.digest().hex(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        } catch (FunctionLoadException e) {
            LOG.warn("spare: {}", e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.debug("spare: cannot preload {}: {}", preloadSource.file(), e.toString());
        }
    }

    /**
     * Opens the client transports named by the manager (other than the manager's own): opening
     * libfabric costs 0.4-0.6 s here (a library constructor calibrating the CPU clock, then every
     * provider's start in {@code fi_getinfo}), which a lease on a spare would otherwise wait for.
     * A transport that cannot open is left for the lease to fail on, with its own message.
     */
    private void preloadTransports() {
        String own = Transports.transportOf(managerAddress);
        for (String name : preload.names) {
            if (name.equals(own) || preloaded.containsKey(name)) {
                continue;
            }
            try {
                Transport t = Transports.open(name);
                preloaded.put(name, t);
                preload.keepPrepared(t, 1);
            } catch (RuntimeException e) {
                LOG.debug("cannot preload transport {}: {}", name, e.toString());
            }
        }
    }

    /** Transports the spare's warm-up opened, by name (tests). */
    java.util.Set<String> preloadedTransports() {
        return java.util.Set.copyOf(preloaded.keySet());
    }

    /** Whether the lease's functions came from the package the spare preloaded (tests). */
    boolean reusedPreloadedPackage() {
        return reusedPreloadedPackage;
    }

    /** Calls the spare's serving rehearsal made so far, over every transport (tests). */
    int rehearsedCalls() {
        return rehearsedCalls.get();
    }

    /** Whether the spare's package-loading warm-up ran (tests). */
    boolean warmedUp() {
        return warmedUp;
    }

    /** Waits for a spare's warm-up, at most {@link #WARM_UP_JOIN}; at once for other executors. */
    private void awaitQuietly(CountDownLatch warmUp) {
        if (!spare) {
            return;
        }
        try {
            warmUp.await(WARM_UP_JOIN.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Asks a running executor to stop (used by the SIGTERM hook); waits up to {@code timeout}. */
    public void stop(LeaseEndReason reason, Duration timeout) {
        externalStop = reason;
        try {
            finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean sameTransport(String a, String b) {
        return Transports.transportOf(a).equals(Transports.transportOf(b));
    }

    /** Starts a thread per worker; worker 0 runs on {@code workerZero} (a spare's helper) when given. */
    private void startWorkers(List<Connection> connections, FunctionTable functions, Thread workerZero) {
        for (int i = 0; i < shape.cores(); i++) {
            Connection c = connections.get(i);
            Worker w = new Worker(i, shape, c, functions, assignment.leaseId(), assignment.clientNonce());
            workers.add(w);
            flusher.add(w.counters());
            if (i == 0 && workerZero != null) {
                threads.add(workerZero);
                helperWorker.complete(w);
                continue;
            }
            Thread t = new Thread(w, "rfaas-worker-" + i);
            threads.add(t);
            // Start at once: the worker's hello completes the client's allocation.
            t.start();
        }
    }

    private LeaseEndReason superviseUntilStop(Connection manager) {
        Completion c = new Completion();
        long flushNanos = Math.max(1, assignment.flushIntervalMillis()) * 1_000_000L;
        long nextFlush = System.nanoTime() + flushNanos;
        while (true) {
            if (externalStop != null) {
                return reasonSentBefore(manager, externalStop);
            }
            boolean got;
            try {
                got = manager.await(c, Math.min(flushNanos, 50_000_000L));
            } catch (PeerFailedException e) {
                LOG.warn("lease {}: executor manager connection lost: {}", assignment.leaseId(), e.getMessage());
                return LeaseEndReason.MANAGER_SHUTDOWN;
            }
            if (got) {
                LeaseEndReason reason = ExecutorShutdown.decode(manager.receiveSlot(c.slot()), 0, c.length());
                manager.release(c.slot());
                return reason;
            }
            if (workers.stream().allMatch(Worker::finishedConnection)) {
                return LeaseEndReason.CLIENT_LOST;
            }
            if (System.nanoTime() - nextFlush >= 0) {
                announceOnce();
                flush(manager);
                nextFlush = System.nanoTime() + flushNanos;
            }
        }
    }

    /** Writes the lease's assignment line, once (supervising thread only). */
    private void announceOnce() {
        Runnable a = announce;
        announce = null;
        if (a != null) {
            a.run();
        }
    }

    /**
     * SIGTERM comes from the manager when the executor was slow to obey its stop message: tell the
     * clients that message's reason (expired, revoked) if it arrived, not a generic shutdown.
     */
    private static LeaseEndReason reasonSentBefore(Connection manager, LeaseEndReason fallback) {
        Completion c = new Completion();
        try {
            if (manager.poll(c)) {
                LeaseEndReason reason = ExecutorShutdown.decode(manager.receiveSlot(c.slot()), 0, c.length());
                manager.release(c.slot());
                return reason;
            }
        } catch (RuntimeException e) {
            LOG.debug("no stop reason from the manager: {}", e.getMessage());
        }
        return fallback;
    }

    private void stopWorkers(LeaseEndReason reason) {
        workers.forEach(w -> w.stop(reason));
        long deadline = System.currentTimeMillis() + STOP_JOIN_MILLIS;
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, deadline - System.currentTimeMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (t.isAlive()) {
                LOG.warn("lease {}: {} still busy after {} ms (a function that does not return)", assignment.leaseId(),
                        t.getName(), STOP_JOIN_MILLIS);
            }
        }
    }

    /** Sends what the workers accumulated since the last flush. */
    private void flush(Connection manager) {
        try {
            flusher.flush(manager::fetchAndAdd);
        } catch (TransportException e) {
            LOG.warn("lease {}: cannot flush accounting: {}", assignment.leaseId(), e.getMessage());
        }
    }

}
