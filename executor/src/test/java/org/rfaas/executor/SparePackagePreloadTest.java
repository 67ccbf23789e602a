package org.rfaas.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.protocol.AccountingCounters;
import org.rfaas.protocol.ExecutorAssignment;
import org.rfaas.protocol.ExecutorShape;
import org.rfaas.protocol.ExecutorShutdown;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.protocol.PackageDigest;
import org.rfaas.protocol.PackageKind;
import org.rfaas.protocol.WorkerHello;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * A spare told the node's most recent package preloads it, and its lease reuses it when the
 * lease's package has the same content, and loads its own otherwise; either way its first worker
 * runs on the thread that waited with the spare (the test plays manager and client over tcp).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SparePackagePreloadTest {
    @TempDir
    Path dir;

    @Test
    void aLeaseOfTheSamePackageUsesThePreloadedClasses() throws Exception {
        Path cached = FunctionTableTest.jarOf(dir.resolve("cached"), TestFunctions.Upper.class);
        Path leased = Files.copy(cached, dir.resolve("package-lease.jar"));
        assertTrue(runLease(cached, leased, List.of("upper")).reused(), "the lease did not reuse the preloaded package");
    }

    @Test
    void aLeaseOfAnotherPackageLoadsItsOwn() throws Exception {
        Path cached = FunctionTableTest.jarOf(dir.resolve("cached"), TestFunctions.Upper.class);
        Path leased = FunctionTableTest.jarOf(dir.resolve("package-other.jar"), TestFunctions.Snoop.class);
        Lease lease = runLease(cached, leased, List.of("snoop"));
        assertFalse(lease.reused(), "another package reused the preloaded one");
        assertTrue(lease.workerZeroOnHelper(), "worker 0 did not run on the spare's helper thread");
    }

    @Test
    void aSparesFirstWorkerRunsOnTheThreadThatWaitedWithIt() throws Exception {
        Path cached = FunctionTableTest.jarOf(dir.resolve("cached"), TestFunctions.Upper.class);
        // No thread is started between the assignment and the first worker's hello.
        assertTrue(runLease(cached, cached, List.of("upper")).workerZeroOnHelper(),
                "worker 0 did not run on the spare's helper thread");
    }

    /** What a lease on a spare did: reused the preloaded package; ran worker 0 on the spare's helper thread. */
    private record Lease(boolean reused, boolean workerZeroOnHelper) {
    }

    private static long threadNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name))
                .mapToLong(Thread::threadId).findFirst().orElse(-1);
    }

    /** A spare preloading {@code cached} serves a lease of {@code leased}. */
    private static Lease runLease(Path cached, Path leased, List<String> functions) throws Exception {
        AtomicInteger exit = new AtomicInteger(-1);
        try (Transport tcp = Transports.open("tcp");
             Listener managerSide = tcp.listen("tcp://127.0.0.1:0",
                     new ConnectionSpec(2, 16 * 1024, AccountingCounters.COUNT));
             Listener clientSide = tcp.listen("tcp://127.0.0.1:0",
                     new ConnectionSpec(3, Executor.clientSlotSize(64), 0))) {
            PreloadedPackage.Source source = new PreloadedPackage.Source(
                    PackageDigest.of(Files.readAllBytes(cached)), cached);
            Executor executor = new Executor(managerSide.address(), 5, true, List.of(), source);
            Thread thread = Thread.ofPlatform().name("test-executor").start(() -> exit.set(executor.run()));
            Connection manager = SpareManagerSide.acceptAfterWarmUp(managerSide, executor, 5);
            long helper = threadNamed("rfaas-spare-helper");
            assertTrue(helper >= 0, "no helper thread");
            MemorySegment control = manager.allocateBuffer(manager.peerSpec().slotSize());
            int n = new ExecutorAssignment(3, 9, new ExecutorShape(1, 64, 0, 2, 64, 64), PackageKind.JAR, 10,
                    clientSide.address(), leased.toAbsolutePath().toString(), List.of()).encode(control, 0);
            manager.write(0, control, 0, n, 0);
            Connection worker = clientSide.accept(Duration.ofSeconds(30));
            assertNotNull(worker, "the worker did not connect");
            Completion c = new Completion();
            assertTrue(worker.await(c, TimeUnit.SECONDS.toNanos(30)), "no hello");
            WorkerHello hello = WorkerHello.decode(worker.receiveSlot(c.slot()), 0, c.length());
            worker.release(c.slot());
            assertEquals(functions, hello.functions());
            boolean workerZeroOnHelper = threadNamed("rfaas-worker-0") == helper;

            n = ExecutorShutdown.write(control, 0, LeaseEndReason.RELEASED);
            manager.write(0, control, 0, n, 0);
            thread.join(Duration.ofSeconds(30));
            assertEquals(0, exit.get(), "executor exit code");
            worker.close();
            manager.close();
            return new Lease(executor.reusedPreloadedPackage(), workerZeroOnHelper);
        }
    }
}
