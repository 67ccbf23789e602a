package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.executor.Executor;
import org.rfaas.function.FaasFunction;
import org.rfaas.protocol.AllocationRequest;
import org.rfaas.protocol.AllocationResponse;
import org.rfaas.protocol.ExecutorShape;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.protocol.LeaseEnded;
import org.rfaas.protocol.MessageHeader;
import org.rfaas.protocol.MessageType;
import org.rfaas.protocol.PackageAck;
import org.rfaas.protocol.PackageChunk;
import org.rfaas.protocol.PackageKind;
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
        if (manager != null) {
            manager.close();
        }
        if (tcp != null) {
            tcp.close();
        }
        for (ProcessHandle p : ProcessHandle.current().descendants().toList()) {
            p.onExit().join();
        }
    }

    @Test
    void aSecondAllocationOnTheConnectionOfAnEndedLease() throws Exception {
        String address = start();
        byte[] jar = packageJar(dir.resolve("f.jar"));
        try (Listener clientSide = tcp.listen("tcp://127.0.0.1:0", new ConnectionSpec(3, Executor.clientSlotSize(64), 0));
             Connection control = tcp.connect(address, new ConnectionSpec(2, 8192, 0), Duration.ofSeconds(10))) {
            MemorySegment buffer = control.allocateBuffer(8192);
            for (long nonce = 1; nonce <= 2; nonce++) {
                long leaseId = allocate(control, buffer, jar, clientSide.address(), nonce);
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
        byte[] jar = packageJar(dir.resolve("f.jar"));
        try (Listener clientSide = tcp.listen("tcp://127.0.0.1:0", new ConnectionSpec(3, Executor.clientSlotSize(64), 0));
             Connection control = tcp.connect(address, new ConnectionSpec(2, 8192, 0), Duration.ofSeconds(10))) {
            MemorySegment buffer = control.allocateBuffer(8192);
            allocate(control, buffer, jar, clientSide.address(), 1);
            int n = request(jar, clientSide.address(), 2).encode(buffer, 0);
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

    private static AllocationRequest request(byte[] jar, String clientAddress, long nonce) {
        return new AllocationRequest(0, nonce, new ExecutorShape(1, 128, 0, 2, 64, 64), 60_000, PackageKind.JAR,
                jar.length, "", clientAddress, List.of());
    }

    /** Sends the request and the one-chunk package; returns the lease id once the manager accepted. */
    private static long allocate(Connection control, MemorySegment buffer, byte[] jar, String clientAddress, long nonce) {
        int n = request(jar, clientAddress, nonce).encode(buffer, 0);
        control.write(0, buffer, 0, n, 0);
        Completion c = new Completion();
        awaitMessage(control, c, "package ack");
        assertEquals(0, PackageAck.decode(control.receiveSlot(c.slot()), 0, c.length()));
        control.release(c.slot());
        PackageChunk.writeHeader(buffer, 0, 0, jar.length);
        MemorySegment.copy(jar, 0, buffer, ValueLayout.JAVA_BYTE, PackageChunk.LENGTH, jar.length);
        control.write(1, buffer, 0, PackageChunk.LENGTH + jar.length, 0);
        awaitMessage(control, c, "allocation response");
        AllocationResponse r = AllocationResponse.decode(control.receiveSlot(c.slot()), 0, c.length());
        control.release(c.slot());
        assertTrue(r.accepted(), r.message());
        return r.leaseId();
    }

    private static LeaseEnded awaitLeaseEnd(Connection control, Completion c) {
        awaitMessage(control, c, "lease end");
        LeaseEnded e = LeaseEnded.decode(control.receiveSlot(c.slot()), 0, c.length());
        control.release(c.slot());
        return e;
    }

    private static void awaitMessage(Connection control, Completion c, String what) {
        if (!control.await(c, TimeUnit.SECONDS.toNanos(60))) {
            throw new AssertionError("no " + what + " within 60 s");
        }
    }

    /** A JAR with {@link Same} as its only function. */
    private static byte[] packageJar(Path file) throws IOException {
        String classFile = Same.class.getName().replace('.', '/') + ".class";
        try (InputStream in = Same.class.getClassLoader().getResourceAsStream(classFile);
             OutputStream out = Files.newOutputStream(file);
             JarOutputStream jar = new JarOutputStream(out)) {
            jar.putNextEntry(new JarEntry(classFile));
            in.transferTo(jar);
            jar.closeEntry();
            jar.putNextEntry(new JarEntry("META-INF/services/" + FaasFunction.class.getName()));
            jar.write((Same.class.getName() + "\n").getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
        return Files.readAllBytes(file);
    }

    /** The function of the test package. */
    public static final class Same implements FaasFunction {
        @Override
        public String name() {
            return "same";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) {
            MemorySegment.copy(input, 0, output, 0, input.byteSize());
            return (int) input.byteSize();
        }
    }
}
