package org.rfaas.executor;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.protocol.AccountingCounters;
import org.rfaas.protocol.PackageDigest;
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
                     new ConnectionSpec(3, org.rfaas.protocol.ReplyHeader.resultSlotSize(64), 0))) {
            PreloadedPackage.Source source = new PreloadedPackage.Source(
                    PackageDigest.of(Files.readAllBytes(cached)), cached);
            Executor executor = new Executor(managerSide.address(), 5, true, List.of(), source);
            Thread thread = Thread.ofPlatform().name("test-executor").start(() -> exit.set(executor.run()));
            Connection manager = SpareManagerSide.acceptAfterWarmUp(managerSide, executor, 5);
            long helper = threadNamed("rfaas-spare-helper");
            assertTrue(helper >= 0, "no helper thread");
            MemorySegment control = manager.allocateBuffer(manager.peerSpec().slotSize());
            Connection worker = SpareManagerSide.assignAndAwaitHello(manager, control, clientSide, leased, functions);
            boolean workerZeroOnHelper = threadNamed("rfaas-worker-0") == helper;
            SpareManagerSide.release(manager, control, thread, exit);
            worker.close();
            manager.close();
            return new Lease(executor.reusedPreloadedPackage(), workerZeroOnHelper);
        }
    }
}
