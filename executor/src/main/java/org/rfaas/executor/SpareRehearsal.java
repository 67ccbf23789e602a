package org.rfaas.executor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.rfaas.protocol.ExecutorAssignment;
import org.rfaas.protocol.ExecutorShape;
import org.rfaas.protocol.InvocationHeader;
import org.rfaas.protocol.MessageHeader;
import org.rfaas.protocol.MessageType;
import org.rfaas.protocol.PackageDigest;
import org.rfaas.protocol.PackageKind;
import org.rfaas.protocol.ReplyHeader;
import org.rfaas.protocol.Status;
import org.rfaas.protocol.WorkerHello;

/**
 * What a spare does once while it waits, so that its lease does not: decoding an assignment,
 * encoding a worker hello and a worker's bookkeeping around a call, on a dummy lease. Their first run in a JVM costs milliseconds that the
 * AOT cache does not take away (measured: 2.5-3 ms to decode the first assignment, most of it a
 * {@code SwitchBootstraps} type switch that the JDK's memory-segment copy spins at its first use,
 * and class initialisation), and a lease's cold start would pay them between its assignment and
 * its workers' hellos.
 */
final class SpareRehearsal {
    private SpareRehearsal() {
    }

    /** Runs the rehearsal; a failure only costs the warm-up (it throws, the caller logs it). */
    static void run() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(4096, 8);
            ExecutorAssignment dummy = new ExecutorAssignment(1, 2, new ExecutorShape(1, 64, 0, 1, 64, 64),
                    PackageKind.JAR, PackageDigest.of(new byte[] {1}), 10, "shm:/rehearsal.sock", "/rehearsal/package.jar", List.of("f"));
            int length = dummy.encode(buffer, 0);
            MessageHeader.check(buffer, 0, length, MessageHeader.LENGTH);
            ExecutorAssignment decoded = ExecutorAssignment.decode(buffer, 0, length);
            if (!decoded.equals(dummy)) {
                throw new IllegalStateException("rehearsal assignment decoded as " + decoded);
            }
            new WorkerHello(1, 2, 0, 1, 1, List.of("f")).encode(buffer, 0);
            // A worker's first call: the invocation header, the input view, the accounting, the reply header.
            InvocationHeader invocation = new InvocationHeader().wrap(buffer, 0);
            int id = InvocationHeader.invocationId(1, 0);
            invocation.write(id, 0, 0, 64, 8);
            invocation.validate(InvocationHeader.LENGTH + 8, id, 1, 64);
            buffer.asSlice(InvocationHeader.LENGTH, 8).asReadOnly();
            new WorkerCounters().invocation(1, false);
            new ReplyHeader().wrap(buffer, 0).write(MessageType.REPLY, id, Status.OK, 8);
        }
    }
}
