package org.rfaas.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
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
import org.rfaas.protocol.PackageKind;
import org.rfaas.protocol.WorkerHello;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * A spare whose manager speaks tcp but whose node also serves fabric:tcp clients opens libfabric
 * while it waits, and its lease's workers then connect over that already-open transport (the test
 * plays manager and client).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SparePreloadTest {
    @TempDir
    Path dir;

    @Test
    void aSpareOpensTheNodesOtherClientTransportsBeforeItsLease() throws Exception {
        Path jar = FunctionTableTest.jarOf(dir.resolve("upper.jar"), TestFunctions.Upper.class);
        AtomicInteger exit = new AtomicInteger(-1);
        try (Transport tcp = Transports.open("tcp"); Transport fabric = Transports.open("fabric:tcp");
             Listener managerSide = tcp.listen("tcp://127.0.0.1:0",
                     new ConnectionSpec(2, 16 * 1024, AccountingCounters.COUNT));
             Listener clientSide = fabric.listen("fabric:tcp://127.0.0.1:0",
                     new ConnectionSpec(3, Executor.clientSlotSize(64), 0))) {
            Executor executor = new Executor(managerSide.address(), 5, true, List.of("tcp", "fabric:tcp"));
            Thread thread = Thread.ofPlatform().name("test-executor").start(() -> exit.set(executor.run()));
            Connection manager = SpareManagerSide.acceptAfterWarmUp(managerSide, executor, 5);
            Completion c = new Completion();
            // tcp is the manager's own transport: nothing to preload for it.
            assertEquals(Set.of("fabric:tcp"), executor.preloadedTransports(), "preloaded before the lease");

            MemorySegment control = manager.allocateBuffer(manager.peerSpec().slotSize());
            int n = new ExecutorAssignment(3, 9, new ExecutorShape(1, 64, 0, 2, 64, 64), PackageKind.JAR, 10,
                    clientSide.address(), jar.toAbsolutePath().toString(), List.of()).encode(control, 0);
            manager.write(0, control, 0, n, 0);
            Connection worker = clientSide.accept(Duration.ofSeconds(30));
            assertNotNull(worker, "the worker did not connect over fabric:tcp");
            assertTrue(worker.await(c, TimeUnit.SECONDS.toNanos(30)), "no hello");
            WorkerHello hello = WorkerHello.decode(worker.receiveSlot(c.slot()), 0, c.length());
            worker.release(c.slot());
            assertEquals(List.of("upper"), hello.functions());
            assertEquals(Set.of(), executor.preloadedTransports(), "the lease took the preloaded transport");

            n = ExecutorShutdown.write(control, 0, LeaseEndReason.RELEASED);
            manager.write(0, control, 0, n, 0);
            thread.join(Duration.ofSeconds(30));
            assertEquals(0, exit.get(), "executor exit code");
            worker.close();
            manager.close();
        }
    }
}
