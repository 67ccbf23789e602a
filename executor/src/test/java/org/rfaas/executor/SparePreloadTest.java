package org.rfaas.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.protocol.AccountingCounters;
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
                     new ConnectionSpec(3, org.rfaas.protocol.ReplyHeader.resultSlotSize(64), 0))) {
            // As the manager names them: a listen address of each of the node's client transports.
            Executor executor = new Executor(managerSide.address(), 5, true,
                    List.of(managerSide.address(), clientSide.address()));
            Thread thread = Thread.ofPlatform().name("test-executor").start(() -> exit.set(executor.run()));
            Connection manager = SpareManagerSide.acceptAfterWarmUp(managerSide, executor, 5);
            // tcp is the manager's own transport: nothing to preload for it.
            assertEquals(Set.of("fabric:tcp"), executor.preloadedTransports(), "preloaded before the lease");

            MemorySegment control = manager.allocateBuffer(manager.peerSpec().slotSize());
            Connection worker = SpareManagerSide.assignAndAwaitHello(manager, control, clientSide, jar,
                    List.of("upper"));
            assertEquals(Set.of(), executor.preloadedTransports(), "the lease took the preloaded transport");
            SpareManagerSide.release(manager, control, thread, exit);
            worker.close();
            manager.close();
        }
    }
}
