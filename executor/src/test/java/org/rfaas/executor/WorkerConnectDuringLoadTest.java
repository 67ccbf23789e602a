package org.rfaas.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.function.FaasFunction;
import org.rfaas.protocol.ExecutorAssignment;
import org.rfaas.protocol.ExecutorShape;
import org.rfaas.protocol.ExecutorReady;
import org.rfaas.protocol.ExecutorShutdown;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.protocol.PackageDigest;
import org.rfaas.protocol.PackageKind;
import org.rfaas.protocol.WorkerHello;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * A spare executor warms up package loading while it waits, connects its worker to the client
 * while the lease's package is still loading (the two overlap), says hello once the package is
 * loaded, and then reports ready to its manager.
 * The test plays manager and client; the package's function blocks in its constructor until the
 * test lets it go, i.e. the package cannot finish loading before the worker connection exists.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WorkerConnectDuringLoadTest {
    static final String GATE = "rfaas.test.load-gate";
    private static final long LEASE = 7;

    @TempDir
    Path dir;
    Transport tcp;
    Thread executorThread;

    @AfterEach
    void close() throws InterruptedException {
        System.setProperty(GATE, "open");
        if (executorThread != null) {
            executorThread.join(Duration.ofSeconds(20));
        }
        if (tcp != null) {
            tcp.close();
        }
    }

    @Test
    void workerConnectsBeforeThePackageHasLoaded() throws Exception {
        System.clearProperty(GATE);
        Path jar = FunctionTableTest.jarOf(dir.resolve("gated.jar"), GatedFunction.class);
        tcp = Transports.open("tcp");
        AtomicInteger exit = new AtomicInteger(-1);
        try (Listener managerSide = SpareManagerSide.managerListener(tcp);
             Listener clientSide = SpareManagerSide.clientListener(tcp)) {
            Executor executor = new Executor(managerSide.address(), 5, true);
            executorThread = Thread.ofPlatform().name("test-executor").start(() -> exit.set(executor.run()));
            Connection manager = SpareManagerSide.acceptAfterWarmUp(managerSide, executor, 5);
            Completion c = new Completion();
            assertTrue(executor.warmedUp(), "the spare did not warm up package loading before its assignment");
            MemorySegment control = manager.allocateBuffer(manager.peerSpec().slotSize());
            int n = new ExecutorAssignment(LEASE, 3, new ExecutorShape(1, 64, 0, 2, 64, 64), PackageKind.JAR, PackageDigest.NONE, 10, clientSide.address(),
                    jar.toAbsolutePath().toString(), List.of()).encode(control, 0);
            manager.write(0, control, 0, n, 0);

            // The constructor of the package's only function is still waiting for the gate.
            Connection worker = clientSide.accept(Duration.ofSeconds(30));
            assertNotNull(worker, "the worker did not connect while its package was loading");
            assertFalse(worker.await(c, TimeUnit.MILLISECONDS.toNanos(200)), "hello before the package loaded");
            assertFalse(manager.poll(c), "ready before the package loaded");

            System.setProperty(GATE, "open");
            assertTrue(worker.await(c, TimeUnit.SECONDS.toNanos(30)), "no hello after the package loaded");
            WorkerHello hello = WorkerHello.decode(worker.receiveSlot(c.slot()), 0, c.length());
            worker.release(c.slot());
            assertEquals(List.of("gated"), hello.functions());
            assertTrue(manager.await(c, TimeUnit.SECONDS.toNanos(30)), "no ready message");
            assertEquals(LEASE, ExecutorReady.decode(manager.receiveSlot(c.slot()), 0, c.length()));
            manager.release(c.slot());

            n = ExecutorShutdown.write(control, 0, LeaseEndReason.RELEASED);
            manager.write(0, control, 0, n, 0);
            executorThread.join(Duration.ofSeconds(30));
            assertEquals(0, exit.get(), "executor exit code");
            worker.close();
            manager.close();
        }
    }

    /** Blocks in its constructor (i.e. while the package loads) until the test opens the gate. */
    public static final class GatedFunction implements FaasFunction {
        public GatedFunction() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.getProperty(GATE) == null && System.nanoTime() - deadline < 0) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        @Override
        public String name() {
            return "gated";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) {
            return 0;
        }
    }
}
