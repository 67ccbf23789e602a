package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.rfaas.executor.Executor;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.protocol.LeaseEnded;
import org.rfaas.protocol.MessageHeader;
import org.rfaas.protocol.MessageType;
import org.rfaas.protocol.ReleaseRequest;
import org.rfaas.protocol.WorkerHello;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * A client's control connection serves its next allocation once a lease it released has ended
 * (the client keeps it to skip the handshake), and only then: a request while the lease runs is a
 * protocol error. The client is written out by hand to drive the messages one by one.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ControlConnectionReuseTest {
    @TempDir
    Path dir;
    ExecutorManager manager;
    Transport tcp;

    @AfterEach
    void close() {
        HandWrittenClient.closeAll(manager, tcp);
    }

    @Test
    void aSecondAllocationOnTheConnectionOfAnEndedLease() throws Exception {
        String address = start();
        byte[] jar = HandWrittenClient.packageJar(dir.resolve("f.jar"));
        try (Listener clientSide = tcp.listen("tcp://127.0.0.1:0", new ConnectionSpec(3, org.rfaas.protocol.ReplyHeader.resultSlotSize(64), 0));
             Connection control = tcp.connect(address, new ConnectionSpec(2, 8192, 0), Duration.ofSeconds(10))) {
            MemorySegment buffer = control.allocateBuffer(8192);
            for (long nonce = 1; nonce <= 2; nonce++) {
                long leaseId = HandWrittenClient.allocate(control, buffer, jar, clientSide.address(), nonce);
                Connection worker = clientSide.accept(Duration.ofSeconds(60));
                assertNotNull(worker, "allocation " + nonce + ": the executor's worker did not connect");
                Completion c = new Completion();
                assertTrue(worker.await(c, TimeUnit.SECONDS.toNanos(60)), "allocation " + nonce + ": no hello");
                WorkerHello hello = WorkerHello.decode(worker.receiveSlot(c.slot()), 0, c.length());
                assertEquals(nonce, hello.nonce());
                int n = ReleaseRequest.write(buffer, 0, leaseId);
                control.write(0, buffer, 0, n, 0);
                LeaseEnded ended = awaitLeaseEnd(control, c);
                assertEquals(leaseId, ended.leaseId());
                assertEquals(LeaseEndReason.RELEASED, ended.reason());
                worker.close();
            }
            assertTrue(control.isOpen(), "the manager closed the kept control connection");
        }
    }

    @Test
    void aRequestWhileTheLeaseRunsClosesTheConnection() throws Exception {
        String address = start();
        byte[] jar = HandWrittenClient.packageJar(dir.resolve("f.jar"));
        try (Listener clientSide = tcp.listen("tcp://127.0.0.1:0", new ConnectionSpec(3, org.rfaas.protocol.ReplyHeader.resultSlotSize(64), 0));
             Connection control = tcp.connect(address, new ConnectionSpec(2, 8192, 0), Duration.ofSeconds(10))) {
            MemorySegment buffer = control.allocateBuffer(8192);
            HandWrittenClient.allocate(control, buffer, jar, clientSide.address(), 1);
            int n = HandWrittenClient.request(jar, clientSide.address(), 2).encode(buffer, 0);
            control.write(0, buffer, 0, n, 0);
            Completion c = new Completion();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            boolean closed = false;
            while (!closed && System.nanoTime() - deadline < 0) {
                try {
                    if (control.await(c, 100_000_000L)) {
                        MemorySegment slot = control.receiveSlot(c.slot());
                        // The lease's end (CLIENT_LOST) may come before the connection closes.
                        assertEquals(MessageType.LEASE_ENDED, MessageHeader.check(slot, 0, c.length(), 8));
                        control.release(c.slot());
                    }
                } catch (PeerFailedException e) {
                    closed = true;
                }
            }
            assertTrue(closed, "the manager kept a connection that asked for a second lease while its first ran");
            assertFalse(control.isOpen());
        }
    }

    private String start() {
        manager = new ExecutorManager(ExecutorManagerConfig.of("n", List.of("tcp://127.0.0.1:0"), 4, 4096, dir)
                .withSpareExecutors(1).withSpareMemoryMiB(128), null);
        String address = manager.start().getFirst();
        tcp = Transports.open("tcp");
        return address;
    }

    private static LeaseEnded awaitLeaseEnd(Connection control, Completion c) {
        HandWrittenClient.awaitMessage(control, c, "lease end");
        LeaseEnded e = LeaseEnded.decode(control.receiveSlot(c.slot()), 0, c.length());
        control.release(c.slot());
        return e;
    }
}
