package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.protocol.ReplyHeader;
import org.rfaas.protocol.WorkerHello;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * A spare runs on idle cycles only; on busy cores it can stay silent past the liveness timeout and
 * the manager drops its connection. The spare connects again instead of exiting, and a lease
 * handed to it while its link was down starts on it once it is back. The starvation is a SIGSTOP
 * here: the same silence, on purpose.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StarvedSpareReconnectsTest {
    @TempDir
    Path dir;
    ExecutorManager manager;
    Transport tcp;
    long stopped = -1;

    @AfterEach
    void close() throws Exception {
        if (stopped > 0) {
            signal("CONT", stopped);
        }
        HandWrittenClient.closeAll(manager, tcp);
    }

    @Test
    void aSpareDroppedWhileSilentConnectsAgainAndServesTheLeaseItWasGivenMeanwhile() throws Exception {
        // No sandbox: the spare's pid is its JVM's, which the signals must reach.
        manager = new ExecutorManager(ExecutorManagerConfig.of("n", List.of("tcp://127.0.0.1:0"), 4, 4096, dir)
                .withSpareExecutors(1).withSpareMemoryMiB(128).withSandbox(false), null);
        String address = manager.start().getFirst();
        tcp = Transports.open("tcp");
        Await.until(() -> manager.connectedSpareCount() == 1, "the spare connected");
        long spare = manager.spareExecutorPids().getFirst();

        signal("STOP", spare);
        stopped = spare;
        Await.until(() -> manager.connectedSpareCount() == 0, "the manager dropped the silent spare's connection");
        assertEquals(List.of(spare), manager.spareExecutorPids(), "the dropped spare is still the node's spare");

        byte[] jar = HandWrittenClient.packageJar(dir.resolve("f.jar"));
        try (Listener clientSide = tcp.listen("tcp://127.0.0.1:0", new ConnectionSpec(3, ReplyHeader.resultSlotSize(64), 0));
                Connection control = tcp.connect(address, new ConnectionSpec(2, 8192, 0), Duration.ofSeconds(10))) {
            MemorySegment buffer = control.allocateBuffer(8192);
            long leaseId = HandWrittenClient.allocate(control, buffer, jar, clientSide.address(), 7);
            assertEquals(spare, manager.activeLeases().stream().filter(l -> l.claims().leaseId() == leaseId)
                    .findFirst().orElseThrow().executorPid(), "the lease went to the (dropped) spare");
            Thread.sleep(300);
            signal("CONT", spare);
            stopped = -1;
            Connection worker = clientSide.accept(Duration.ofSeconds(60));
            assertNotNull(worker, "the spare's worker did not connect: it did not come back for its lease");
            Completion c = new Completion();
            assertTrue(worker.await(c, TimeUnit.SECONDS.toNanos(60)), "no worker hello");
            assertEquals(7, WorkerHello.decode(worker.receiveSlot(c.slot()), 0, c.length()).nonce());
            assertTrue(ProcessHandle.of(spare).map(ProcessHandle::isAlive).orElse(false), "the spare serves the lease");
            worker.close();
        }
    }

    private static void signal(String name, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + name + " " + pid);
    }
}
