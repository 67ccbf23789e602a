package org.rfaas.executormanager;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.rfaas.protocol.AllocationRequest;
import org.rfaas.protocol.ExecutorAssignment;
import org.rfaas.protocol.ExecutorHello;
import org.rfaas.protocol.ExecutorReady;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The manager's side of its executors: gives a starting lease its executor (a spare from the
 * {@link SparePool}, or a JVM forked for it, both started by the {@link ExecutorLauncher}), serves
 * each executor's accounting connection (its {@link ExecutorHello}, the one
 * {@link ExecutorAssignment} it gets, its {@link ExecutorReady}) and notices its JVM's exit.
 *
 * <p>Threads: {@link #serve} runs on the executor's connection thread for the connection's life;
 * {@link #startFor} on the client's connection thread; spare launches on the manager's timer;
 * exits on the JDK's process-reaper threads. Each {@link LaunchedExecutor} is guarded by its lock.
 */
final class ExecutorLinks {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorLinks.class);

    private final ExecutorManagerConfig config;
    private final ExecutorLauncher launcher;
    private final LeaseTable leases;
    private final SparePool pool;
    private final ScheduledExecutorService timer;
    /** Every launched JVM whose hello may still come, by its spawn secret. */
    private final Map<Long, LaunchedExecutor> bySecret = new ConcurrentHashMap<>();
    /** The exit handling of every launched JVM still running or being handled. */
    private final Set<CompletableFuture<Void>> exits = ConcurrentHashMap.newKeySet();

    ExecutorLinks(ExecutorManagerConfig config, ExecutorLauncher launcher, LeaseTable leases,
            ScheduledExecutorService timer) {
        this.config = config;
        this.launcher = launcher;
        this.leases = leases;
        this.pool = new SparePool(config, timer, this::launchSpare);
        this.timer = timer;
    }

    SparePool pool() {
        return pool;
    }

    /**
     * Starts the lease's executor: hands the lease to a spare, or forks a JVM, which gets the same
     * assignment the spare would. Returns what is left to do once the client has its answer (the
     * log line, topping the spares up): the client's worker connections can only be accepted after
     * the answer, so it goes first.
     *
     * @param managerAddress the manager's address on the client's transport (executors connect there)
     */
    Runnable startFor(ManagedLease lease, AllocationRequest request, Path pkg, String managerAddress)
            throws IOException {
        // Before the executor can report ready: from here until then, spare boots wait.
        pool.leaseStarting(lease.id());
        ExecutorAssignment assignment = new ExecutorAssignment(lease.id(), request.nonce(), request.shape(),
                request.packageKind(), request.packageDigest(), (int) config.flushIntervalMillis(), request.clientAddress(),
                pkg.toAbsolutePath().toString(), request.functionNames());
        ExecutorSandbox sandbox = launcher.sandbox();
        // A spare's sandbox was made before this client existed: its shm socket must be linkable.
        LaunchedExecutor spare = sandbox == null || sandbox.spareCanReach(request.clientAddress())
                ? pool.take(request.shape().memoryMiB(), request.packageDigest()) : null;
        boolean spareWasReady = false;
        Process p;
        if (spare != null) {
            synchronized (spare) {
                if (spare.connection != null && !spare.connection.isOpen()) {
                    spare.connection = null; // dropped while starved (see serve): it connects again
                }
                spareWasReady = spare.connection != null;
                spare.lease = lease;
                spare.assignment = assignment;
                p = spare.process;
                synchronized (lease) {
                    lease.process = p;
                }
                if (spare.connection != null) {
                    assign(spare);
                } else {
                    normalWeightWhileBooting(spare);
                }
            }
        } else {
            LaunchedExecutor forked = LaunchedExecutor.forLease(lease, assignment);
            Path log = lease.directory.resolve("executor.log");
            p = launch(forked, managerAddress, lease.directory, log);
            synchronized (lease) {
                lease.process = p;
            }
        }
        leases.notifyStarted(lease);
        boolean starved = spare == null || !spareWasReady;
        long pid = p.pid();
        return () -> {
            try {
                pool.ensure(request.shape().memoryMiB(), managerAddress, starved);
            } catch (RuntimeException e) {
                // The lease has its executor; spares are an optimisation for the next one.
                LOG.warn("lease {}: cannot top up the spare executors", lease.id(), e);
            }
            // Written once the lease's first call had its grace: formatting and appending the line
            // cost the manager 0.5-1.5 ms of CPU, beside the workers' connections to the client.
            Runnable line = () -> LOG.info("lease {} started: tenant {}, {}, executor pid {}{}, expires in {} s",
                    lease.id(), lease.claims.tenant(), request.shape(), pid, spare != null ? " (spare)" : "",
                    (lease.claims.expiresAtEpochMillis() - System.currentTimeMillis()) / 1000);
            try {
                timer.schedule(line, SparePool.FIRST_CALL_GRACE_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closing) {
                line.run();
            }
        };
    }

    /**
     * A lease took {@code spare} while it still boots: the lease waits for that boot, which must
     * not run on idle cycles only any more (spare lock held).
     */
    private static void normalWeightWhileBooting(LaunchedExecutor spare) {
        if (spare.cgroup == null) {
            return;
        }
        try {
            spare.cgroup.foreground();
        } catch (IOException e) {
            LOG.warn("spare pid {}: cannot raise its CPU weight for its lease: {}", spare.process.pid(), e.toString());
        }
    }

    /** Starts a spare's JVM in the work directory (on the timer thread). */
    private void launchSpare(LaunchedExecutor spare, String managerAddress) {
        synchronized (spare) {
            if (spare.retired) {
                pool.remove(spare);
                return;
            }
        }
        try {
            launch(spare, managerAddress, config.workDir(), config.workDir().resolve("spare-" + spare.secret + ".log"));
        } catch (IOException e) {
            LOG.warn("cannot start a spare executor: {}", e.getMessage());
            pool.remove(spare);
        }
    }

    /** Starts {@code executor}'s JVM; its hello is accepted from now on, its exit noticed. */
    private Process launch(LaunchedExecutor executor, String managerAddress, Path directory, Path log)
            throws IOException {
        bySecret.put(executor.secret, executor);
        Process p;
        try {
            p = launcher.start(executor, managerAddress, directory, log);
        } catch (IOException | RuntimeException e) {
            bySecret.remove(executor.secret);
            throw e;
        }
        synchronized (executor) {
            executor.process = p;
            if (executor.retired) {
                p.destroyForcibly();
            }
        }
        CompletableFuture<Void> exit = p.onExit().thenRun(() -> onExit(executor, log));
        exits.add(exit);
        exit.whenComplete((ignored, failure) -> exits.remove(exit));
        LOG.debug("executor pid {} with {} MiB starting{}", p.pid(), executor.memoryMiB,
                executor.spare ? " (spare)" : "");
        return p;
    }

    private void onExit(LaunchedExecutor executor, Path log) {
        bySecret.remove(executor.secret);
        ManagedLease lease;
        synchronized (executor) {
            lease = executor.lease;
        }
        boolean accounted;
        if (lease != null) {
            synchronized (lease) {
                accounted = lease.releaseSandbox != null;
            }
        } else {
            accounted = false;
        }
        if (!accounted && launcher.sandbox() != null) {
            launcher.sandbox().release(executor); // else the lease frees it once its CPU time is read
        }
        if (executor.spare) {
            pool.remove(executor);
        }
        if (lease != null) {
            Path leaseLog = lease.directory.resolve("executor.log");
            try {
                if (!log.equals(leaseLog) && Files.exists(log) && !Files.exists(leaseLog)) {
                    Files.move(log, leaseLog);
                }
            } catch (IOException e) {
                LOG.debug("lease {}: cannot move the spare's log: {}", lease.id(), e.getMessage());
            }
            leases.onExecutorExit(lease);
        } else {
            try {
                Files.deleteIfExists(log);
            } catch (IOException e) {
                LOG.debug("cannot delete {}: {}", log, e.getMessage());
            }
        }
    }

    /**
     * Waits up to {@code timeout} until every launched JVM has exited and its exit is handled (log
     * moved or deleted, lease finished): the manager closes and its work directory may go next.
     */
    void awaitExits(Duration timeout) {
        try {
            CompletableFuture.allOf(exits.toArray(CompletableFuture[]::new))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("{} executor JVM(s) still running {} ms after the manager closed", exits.size(), timeout.toMillis());
        } catch (ExecutionException e) {
            LOG.debug("an executor's exit handling failed: {}", e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Starts the executor's lease (executor lock held, connection and lease present): its cores,
     * its CPU meter, and the assignment message, unless it was staged with its JVM's start.
     */
    private void assign(LaunchedExecutor executor) {
        ManagedLease lease = executor.lease;
        ExecutorSandbox sandbox = launcher.sandbox();
        ExecutorAssignment assignment = executor.assignment;
        if (sandbox != null && executor.cgroup != null) {
            try {
                if (!executor.staged) {
                    assignment = sandbox.stage(executor, assignment);
                }
                sandbox.confine(executor, assignment.shape().cores());
            } catch (IOException | RuntimeException e) {
                LOG.warn("lease {}: cannot put the lease in executor pid {}'s sandbox: {}", lease.id(),
                        executor.process.pid(), e.toString());
                executor.process.destroyForcibly();
                return;
            }
            synchronized (lease) {
                lease.cgroup = executor.cgroup;
                lease.releaseSandbox = () -> sandbox.release(executor);
            }
            lease.meter(CpuMeter.of(executor.cgroup));
        } else {
            lease.meter(CpuMeter.ofProcess(executor.process.pid()));
        }
        try {
            if (!executor.staged) {
                int length = assignment.encode(executor.buffer, 0);
                executor.connection.write(0, executor.buffer, 0, length, 0);
            }
        } catch (TransportException e) {
            LOG.warn("lease {}: cannot hand the lease to executor pid {}: {}", lease.id(), executor.process.pid(),
                    e.getMessage());
            executor.process.destroyForcibly();
            return;
        }
        leases.attachExecutor(lease, executor.connection);
    }

    /**
     * Serves an executor's accounting connection, whose first message was its hello, until it
     * closes: the assignment goes out as soon as there is a lease for it.
     */
    void serve(Connection c, Completion completion) {
        ExecutorHello hello = ExecutorHello.decode(c.receiveSlot(completion.slot()), 0, completion.length());
        c.release(completion.slot());
        LaunchedExecutor executor = bySecret.get(hello.secret());
        if (executor == null) {
            throw new ProtocolException(ProtocolError.BAD_FIELD, "executor hello does not match an executor started here");
        }
        synchronized (executor) {
            executor.connection = c;
            executor.buffer = c.allocateBuffer(c.peerSpec().slotSize());
            if (executor.lease != null) {
                assign(executor);
            }
        }
        pool.booted(executor);
        // Keep receiving: providers without one-sided atomics apply the executor's fetch-and-adds here.
        try {
            while (true) {
                if (c.await(completion, 200_000_000L)) {
                    onMessage(c, completion, hello, executor);
                }
            }
        } catch (PeerFailedException e) {
            ManagedLease serving;
            synchronized (executor) {
                serving = executor.lease;
            }
            // While its lease runs, the link ends only because the executor died or fell silent: say why.
            if (serving != null && serving.isRunning()) {
                LOG.warn("executor pid {}: connection lost while serving lease {}: {}", hello.pid(), serving.id(),
                        e.getMessage());
            } else {
                LOG.debug("executor pid {}: connection closed: {}", hello.pid(), e.getMessage());
            }
        } finally {
            ManagedLease lease;
            synchronized (executor) {
                boolean current = executor.connection == c; // else replaced by its reconnection
                lease = current ? executor.lease : null;
                if (current && lease == null) {
                    // A spare waits on idle cycles only: on busy cores it can miss the liveness
                    // timeout and be dropped here, and then connects again (ManagerLink). A lease
                    // that takes it meanwhile goes out on the new connection.
                    executor.connection = null;
                }
            }
            if (lease != null) {
                leases.executorDisconnected(lease, c);
            }
        }
    }

    /** A message on an executor's accounting connection after its hello: only {@link ExecutorReady}. */
    private void onMessage(Connection c, Completion completion, ExecutorHello hello, LaunchedExecutor executor) {
        try {
            MemorySegment slot = c.receiveSlot(completion.slot());
            long leaseId = ExecutorReady.decode(slot, 0, completion.length());
            ManagedLease lease;
            synchronized (executor) {
                lease = executor.lease;
            }
            if (lease == null || lease.id() != leaseId) {
                LOG.warn("executor pid {} reported lease {} ready, it serves {}", hello.pid(), leaseId,
                        lease == null ? "none" : lease.id());
                return;
            }
            pool.leaseReady(leaseId);
            leases.notifyReady(lease, executor.spare);
        } catch (ProtocolException e) {
            LOG.warn("unexpected message from executor pid {} ignored: {}", hello.pid(), e.getMessage());
        } finally {
            c.release(completion.slot());
        }
    }
}
