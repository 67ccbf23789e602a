package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.rfaas.function.FaasFunction;
import org.rfaas.protocol.AllocationRequest;
import org.rfaas.protocol.AllocationResponse;
import org.rfaas.protocol.ExecutorShape;
import org.rfaas.protocol.MessageHeader;
import org.rfaas.protocol.MessageType;
import org.rfaas.protocol.PackageAck;
import org.rfaas.protocol.PackageChunk;
import org.rfaas.protocol.PackageKind;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.Transport;

/**
 * A client written out by hand, for manager tests that drive the control messages one by one (hold
 * a worker back, send a request where the library would not): the package, the allocation, the
 * clean-up.
 */
final class HandWrittenClient {
    private HandWrittenClient() {
    }

    /** The request of a one-core lease of 128 MiB for {@code jar}, workers connecting to {@code clientAddress}. */
    static AllocationRequest request(byte[] jar, String clientAddress, long nonce) {
        return new AllocationRequest(0, nonce, new ExecutorShape(1, 128, 0, 2, 64, 64), 60_000, PackageKind.JAR,
                jar.length, "", clientAddress, List.of());
    }

    /** Sends the request and the one-chunk package; returns the lease id once the manager accepted. */
    static long allocate(Connection control, MemorySegment buffer, byte[] jar, String clientAddress, long nonce) {
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
        MemorySegment slot = control.receiveSlot(c.slot());
        assertEquals(MessageType.ALLOCATION_RESPONSE, MessageHeader.check(slot, 0, c.length(), 8));
        AllocationResponse r = AllocationResponse.decode(slot, 0, c.length());
        control.release(c.slot());
        assertTrue(r.accepted(), r.message());
        return r.leaseId();
    }

    /** Waits up to 60 s for the next message on {@code control}, into {@code c}. */
    static void awaitMessage(Connection control, Completion c, String what) {
        if (!control.await(c, TimeUnit.SECONDS.toNanos(60))) {
            throw new AssertionError("no " + what + " within 60 s");
        }
    }

    /** Closes the manager and the transport (either may be null) and waits for every executor JVM to exit. */
    static void closeAll(ExecutorManager manager, Transport transport) {
        if (manager != null) {
            manager.close();
        }
        if (transport != null) {
            transport.close();
        }
        for (ProcessHandle p : ProcessHandle.current().descendants().toList()) {
            p.onExit().join();
        }
    }

    /** A JAR with {@link Twice} as its only function. */
    static byte[] packageJar(Path file) throws IOException {
        String classFile = Twice.class.getName().replace('.', '/') + ".class";
        try (InputStream in = Twice.class.getClassLoader().getResourceAsStream(classFile);
             OutputStream out = Files.newOutputStream(file);
             JarOutputStream jar = new JarOutputStream(out)) {
            jar.putNextEntry(new JarEntry(classFile));
            in.transferTo(jar);
            jar.closeEntry();
            jar.putNextEntry(new JarEntry("META-INF/services/" + FaasFunction.class.getName()));
            jar.write((Twice.class.getName() + "\n").getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
        return Files.readAllBytes(file);
    }

    /** The function of the test package. */
    public static final class Twice implements FaasFunction {
        @Override
        public String name() {
            return "twice";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) {
            MemorySegment.copy(input, 0, output, 0, input.byteSize());
            return (int) input.byteSize();
        }
    }
}
