package org.rfaas.executor;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.rfaas.function.FaasFunction;
import org.rfaas.protocol.AccountingCounters;
import org.rfaas.protocol.ExecutorAssignment;
import org.rfaas.protocol.ExecutorHello;
import org.rfaas.protocol.ExecutorShape;
import org.rfaas.protocol.ExecutorShutdown;
import org.rfaas.protocol.InvocationHeader;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.protocol.MessageType;
import org.rfaas.protocol.PackageDigest;
import org.rfaas.protocol.PackageKind;
import org.rfaas.protocol.ReplyHeader;
import org.rfaas.protocol.Status;
import org.rfaas.protocol.WorkerHello;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.IdleStrategy;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;
import org.slf4j.helpers.SubstituteLogger;

/**
 * The training run of the executors' AOT cache ({@code ExecutorMain --train DIR}, started by the
 * executor manager with {@code -XX:AOTCacheOutput}): one JVM plays manager and client for a real
 * {@link Executor} in spare mode, over every local transport, so that the classes a cold start
 * needs (logging, transports, assignment, package class loading, worker connection, the serving
 * loop, shutdown and accounting flush) are loaded, linked and profiled, and the JVM writes them
 * into the cache when it exits.
 *
 * <p>The function package is a JAR written into {@code DIR} holding {@link TrainingEcho} and two
 * siblings. Every wait is bounded; any failure throws, and the caller exits non-zero so that no cache is kept.
 */
final class ExecutorTraining {
    /** The transports trained, in order; a lease's executor uses one of them. */
    static final List<String> TRANSPORTS = List.of("shm", "tcp");
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);
    private static final int CAPACITY = 1024;
    private static final int SLOTS = 2;
    /** Enough calls for the serving loop to be compiled and its profile recorded. */
    private static final int HOT_CALLS = 3_000;
    /** Calls that find the worker asleep (warm), after its hot timeout. */
    private static final int WARM_CALLS = 5;
    private static final long HOT_TIMEOUT_MICROS = 2_000;
    /**
     * Named, not referenced: the classes must be loaded by the package's class loader only. Three
     * functions, one of them in place, so that the worker's function call and reply paths are
     * compiled for any function (see {@link TrainingNoop}, {@link TrainingEchoInPlace}).
     */
    private static final List<String> FUNCTION_CLASSES = List.of("org.rfaas.executor.TrainingEcho",
            "org.rfaas.executor.TrainingEchoInPlace", "org.rfaas.executor.TrainingNoop");

    private ExecutorTraining() {
    }

    /** Runs the training in this JVM; throws when any step fails. */
    static void run(Path dir) throws IOException {
        // What an executor's start loads outside this run's path, archived so that no executor
        // reads it from a JAR or the runtime image (15 ms for one class from a JAR): the logger
        // SLF4J answers while another thread starts it, and the environment, read for the secret.
        SubstituteLogger.class.getName();
        System.getenv(ExecutorMain.SPAWN_SECRET_ENV);
        Files.createDirectories(dir);
        Path jar = writePackage(dir.resolve("training-functions.jar"));
        PackageDigest digest = PackageDigest.of(Files.readAllBytes(jar));
        long leaseId = 1;
        for (String transport : TRANSPORTS) {
            trainOver(transport, jar, digest, leaseId++);
        }
    }

    /** The training function package ({@link TrainingEcho} and its two siblings), as a client would ship it. */
    static Path writePackage(Path jar) throws IOException {
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file)) {
            for (String name : FUNCTION_CLASSES) {
                String classFile = name.replace('.', '/') + ".class";
                try (InputStream in = ExecutorTraining.class.getClassLoader().getResourceAsStream(classFile)) {
                    if (in == null) {
                        throw new IOException("cannot read " + classFile + " from the executor's class path");
                    }
                    out.putNextEntry(new JarEntry(classFile));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
            out.putNextEntry(new JarEntry("META-INF/services/" + FaasFunction.class.getName()));
            out.write((String.join("\n", FUNCTION_CLASSES) + "\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return jar;
    }

    private static void trainOver(String transportName, Path jar, PackageDigest digest, long leaseId) {
        String any = Transports.loopbackAddress(transportName);
        long secret = 42;
        Transport transport = Transports.open(transportName);
        Thread executorThread = null;
        AtomicInteger exitCode = new AtomicInteger(-1);
        Connection manager = null;
        Connection worker = null;
        Thread pump = null;
        try (Listener managerSide = transport.listen(any, new ConnectionSpec(2, 16 * 1024, AccountingCounters.COUNT));
             Listener clientSide = transport.listen(any, new ConnectionSpec(SLOTS + 1, org.rfaas.protocol.ReplyHeader.resultSlotSize(CAPACITY), 0))) {
            Executor executor = new Executor(managerSide.address(), secret, true);
            executorThread = Thread.ofPlatform().name("rfaas-training-executor").start(() -> exitCode.set(executor.run()));
            manager = accept(managerSide);
            Completion c = new Completion();
            await(manager, c);
            ExecutorHello hello = ExecutorHello.decode(manager.receiveSlot(c.slot()), 0, c.length());
            manager.release(c.slot());
            if (hello.secret() != secret) {
                throw new IllegalStateException("training executor said " + hello + ", not its own secret");
            }
            MemorySegment control = manager.allocateBuffer(manager.peerSpec().slotSize());
            int length = new ExecutorAssignment(leaseId, 7,
                    new ExecutorShape(1, 256, HOT_TIMEOUT_MICROS, SLOTS, CAPACITY, CAPACITY), PackageKind.JAR,
                    digest, 10, clientSide.address(), jar.toAbsolutePath().toString(),
                    List.of())
                    .encode(control, 0);
            manager.write(0, control, 0, length, 0);
            // A manager keeps receiving: providers without one-sided atomics apply fetch-and-adds there.
            Connection m = manager;
            pump = Thread.ofPlatform().daemon().name("rfaas-training-manager").start(() -> pumpUntilClosed(m));
            worker = accept(clientSide);
            await(worker, c);
            WorkerHello workerHello = WorkerHello.decode(worker.receiveSlot(c.slot()), 0, c.length());
            worker.release(c.slot());
            int echo = workerHello.functions().indexOf("echo");
            if (workerHello.leaseId() != leaseId || echo < 0) {
                throw new IllegalStateException("training worker said " + workerHello);
            }
            invoke(worker, echo);
            length = ExecutorShutdown.write(control, 0, LeaseEndReason.RELEASED);
            manager.write(0, control, 0, length, 0);
            executorThread.join(STEP_TIMEOUT);
            if (executorThread.isAlive() || exitCode.get() != 0) {
                throw new IllegalStateException("training executor over " + transportName + " did not stop cleanly (exit "
                        + exitCode.get() + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("training interrupted", e);
        } finally {
            if (worker != null) {
                worker.close();
            }
            if (manager != null) {
                manager.close();
            }
            if (pump != null) {
                pump.interrupt();
            }
            transport.close();
        }
    }

    /** Hot calls (the client spins), then warm ones (the worker went to sleep first); checks every echo. */
    private static void invoke(Connection worker, int function) throws InterruptedException {
        MemorySegment send = worker.allocateBuffer(InvocationHeader.LENGTH + CAPACITY);
        InvocationHeader header = new InvocationHeader().wrap(send, 0);
        ReplyHeader reply = new ReplyHeader();
        Completion c = new Completion();
        for (int call = 1; call <= HOT_CALLS + WARM_CALLS; call++) {
            boolean warm = call > HOT_CALLS;
            if (warm) {
                Thread.sleep(Duration.ofNanos(3 * HOT_TIMEOUT_MICROS * 1000));
            }
            int inputLength = 1 + call % 64;
            int resultSlot = call % SLOTS;
            int id = InvocationHeader.invocationId(call, resultSlot);
            header.write(id, function, resultSlot, CAPACITY, inputLength);
            send.asSlice(InvocationHeader.LENGTH, inputLength).fill((byte) call);
            worker.write(0, send, 0, InvocationHeader.LENGTH + inputLength, id);
            long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
            while (warm ? !worker.await(c, 10_000_000L) : !worker.poll(c)) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("training call " + call + " got no reply within " + STEP_TIMEOUT);
                }
                IdleStrategy.BUSY_SPIN.idle();
            }
            MemorySegment slot = worker.receiveSlot(c.slot());
            MessageType type = reply.wrap(slot, 0).validate(c.length(), c.immediate());
            if (type != MessageType.REPLY || reply.invocationId() != id || reply.status() != Status.OK
                    || reply.payloadLength() != inputLength
                    || slot.get(ValueLayout.JAVA_BYTE, ReplyHeader.LENGTH + inputLength - 1) != (byte) call) {
                throw new IllegalStateException("training call " + call + " got a wrong reply: " + type + " "
                        + reply.status() + " of " + reply.payloadLength() + " bytes");
            }
            worker.release(c.slot());
        }
    }

    private static Connection accept(Listener listener) {
        Connection c = listener.accept(STEP_TIMEOUT);
        if (c == null) {
            throw new IllegalStateException("training executor did not connect to " + listener.address() + " within "
                    + STEP_TIMEOUT);
        }
        return c;
    }

    private static void await(Connection connection, Completion c) {
        if (!connection.await(c, STEP_TIMEOUT.toNanos())) {
            throw new IllegalStateException("training executor sent nothing on " + connection.peerDescription()
                    + " within " + STEP_TIMEOUT);
        }
    }

    private static void pumpUntilClosed(Connection manager) {
        Completion c = new Completion();
        try {
            while (!Thread.currentThread().isInterrupted()) {
                if (manager.await(c, 50_000_000L)) {
                    manager.release(c.slot());
                }
            }
        } catch (PeerFailedException e) {
            // The executor closed its manager connection at exit: training over.
        } catch (RuntimeException e) {
            if (manager.isOpen()) {
                throw e;
            }
        }
    }
}
