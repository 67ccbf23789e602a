package org.rfaas.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.protocol.ExecutorAssignment;
import org.rfaas.protocol.ExecutorHello;
import org.rfaas.protocol.ExecutorReady;
import org.rfaas.protocol.ExecutorShape;
import org.rfaas.protocol.PackageDigest;
import org.rfaas.protocol.PackageKind;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * An executor forked for its lease reads its assignment from the file the manager wrote
 * ({@code --assignment}): it loads its package before its manager has even accepted its
 * connection, serves its client without an assignment message, and refuses a file that holds no
 * valid assignment. The test plays manager and client.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StagedAssignmentTest {
    private static final long LEASE = 11;
    private static final long SECRET = 5;

    @TempDir
    Path dir;
    Transport tcp;
    Thread executorThread;

    @AfterEach
    void close() throws InterruptedException {
        if (executorThread != null) {
            executorThread.join(Duration.ofSeconds(20));
        }
        if (tcp != null) {
            tcp.close();
        }
    }

    @Test
    void loadsItsPackageBeforeTheManagerAnswersAndNeedsNoAssignmentMessage() throws Exception {
        // Loud counts its class's initialisations, once per package load.
        int loadsBefore = Integer.getInteger(TestFunctions.Loud.INITIALISED, 0);
        Path jar = FunctionTableTest.jarOf(dir.resolve("loud.jar"), TestFunctions.Loud.class);
        tcp = Transports.open("tcp");
        AtomicInteger exit = new AtomicInteger(-1);
        try (Listener managerSide = SpareManagerSide.managerListener(tcp);
             Listener clientSide = SpareManagerSide.clientListener(tcp)) {
            Path file = write(dir.resolve("assignment"), new ExecutorAssignment(LEASE, 3, new ExecutorShape(1, 64, 0, 2, 64, 64),
                    PackageKind.JAR, PackageDigest.NONE, 10, clientSide.address(), jar.toAbsolutePath().toString(), List.of()));
            Executor executor = ExecutorMain.parse(new String[] {"--manager", managerSide.address(), "--assignment",
                    file.toString()}, Long.toString(SECRET));
            executorThread = Thread.ofPlatform().name("test-executor").start(() -> exit.set(executor.run()));

            // The package's function is constructed while the manager has not accepted the link yet.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (Integer.getInteger(TestFunctions.Loud.INITIALISED, 0) == loadsBefore && System.nanoTime() - deadline < 0) {
                Thread.sleep(2);
            }
            assertEquals(loadsBefore + 1, Integer.getInteger(TestFunctions.Loud.INITIALISED, 0),
                    "the package did not load before the manager answered");

            Connection manager = managerSide.accept(Duration.ofSeconds(30));
            assertNotNull(manager, "the executor did not connect to its manager");
            Completion c = new Completion();
            assertTrue(manager.await(c, TimeUnit.SECONDS.toNanos(30)), "no executor hello");
            assertEquals(SECRET, ExecutorHello.decode(manager.receiveSlot(c.slot()), 0, c.length()).secret());
            manager.release(c.slot());

            // No assignment goes out: the worker connects to the client named in the file.
            Connection worker = clientSide.accept(Duration.ofSeconds(30));
            assertNotNull(worker, "the worker did not connect to the client of the staged assignment");
            assertTrue(worker.await(c, TimeUnit.SECONDS.toNanos(30)), "no worker hello");
            worker.release(c.slot());
            assertTrue(manager.await(c, TimeUnit.SECONDS.toNanos(30)), "no ready message");
            assertEquals(LEASE, ExecutorReady.decode(manager.receiveSlot(c.slot()), 0, c.length()));
            manager.release(c.slot());

            MemorySegment control = manager.allocateBuffer(manager.peerSpec().slotSize());
            SpareManagerSide.release(manager, control, executorThread, exit);
            worker.close();
            manager.close();
        }
    }

    @Test
    void aFileWithoutAValidAssignmentIsRefused() throws IOException {
        Path garbage = Files.write(dir.resolve("garbage"), new byte[] {'R', 'F', 1, 2, 3, 4, 5, 6, 7, 8});
        assertThrows(IllegalArgumentException.class, () -> StagedAssignment.read(garbage));
        Path empty = Files.write(dir.resolve("empty"), new byte[0]);
        assertThrows(IllegalArgumentException.class, () -> StagedAssignment.read(empty));
        Path large = Files.write(dir.resolve("large"), new byte[ExecutorMain.MAX_ASSIGNMENT_BYTES + 1]);
        assertThrows(IllegalArgumentException.class, () -> StagedAssignment.read(large));
        assertThrows(IllegalArgumentException.class, () -> StagedAssignment.read(dir.resolve("missing")));

        ExecutorAssignment a = new ExecutorAssignment(LEASE, 3, new ExecutorShape(1, 64, 0, 2, 64, 64), PackageKind.JAR,
                PackageDigest.of(new byte[] {1}), 10, "tcp://127.0.0.1:1", "/rfaas/package-x.jar", List.of());
        assertEquals(a, StagedAssignment.read(write(dir.resolve("good"), a)));
    }

    @Test
    void anExecutorWhoseAssignmentFileIsBadExitsWithCodeTwo() throws Exception {
        Path garbage = Files.write(dir.resolve("garbage"), new byte[] {1, 2, 3});
        tcp = Transports.open("tcp");
        try (Listener managerSide = SpareManagerSide.managerListener(tcp)) {
            Executor executor = ExecutorMain.parse(new String[] {"--manager", managerSide.address(), "--assignment",
                    garbage.toString()}, Long.toString(SECRET));
            AtomicInteger exit = new AtomicInteger(-1);
            executorThread = Thread.ofPlatform().name("test-executor").start(() -> exit.set(executor.run()));
            Connection manager = managerSide.accept(Duration.ofSeconds(30));
            executorThread.join(Duration.ofSeconds(30));
            assertEquals(2, exit.get(), "executor exit code");
            if (manager != null) {
                manager.close();
            }
        }
    }

    /** Writes {@code a} as the manager does; returns the file. */
    static Path write(Path file, ExecutorAssignment a) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(ExecutorMain.MAX_ASSIGNMENT_BYTES);
            int n = a.encode(buffer, 0);
            return Files.write(file, buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
        }
    }
}
