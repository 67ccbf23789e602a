package org.rfaas.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Wire;

class FlyweightTest {
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer = arena.allocate(64 * 1024);

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void invocationHeaderRoundTripsAndValidates() {
        InvocationHeader h = new InvocationHeader().wrap(buffer, 0);
        int id = InvocationHeader.invocationId(0xabcdef, 3);
        h.write(id, 7, 3, 4096, 100);
        h.validate(InvocationHeader.LENGTH + 100, id, 4, 4096);
        assertEquals(id, h.invocationId());
        assertEquals(7, h.functionIndex());
        assertEquals(3, h.resultSlot());
        assertEquals(4096, h.outputCapacity());
        assertEquals(100, h.inputLength());
        assertEquals(3, InvocationHeader.slotOf(id));
    }

    @Test
    void invocationHeaderRejectsEveryBadField() {
        InvocationHeader h = new InvocationHeader().wrap(buffer, 0);
        int id = InvocationHeader.invocationId(1, 1);
        h.write(id, 0, 1, 4096, 10);
        assertError(ProtocolError.BAD_LENGTH, () -> h.validate(InvocationHeader.LENGTH + 11, id, 2, 4096));
        assertError(ProtocolError.BAD_FIELD, () -> h.validate(InvocationHeader.LENGTH + 10, id + 1, 2, 4096));
        assertError(ProtocolError.BAD_INDEX, () -> h.validate(InvocationHeader.LENGTH + 10, id, 1, 4096));
        assertError(ProtocolError.BAD_FIELD, () -> h.validate(InvocationHeader.LENGTH + 10, id, 2, 100));
        assertError(ProtocolError.TRUNCATED, () -> h.validate(4, id, 2, 4096));
        buffer.set(Wire.INT, InvocationHeader.RESERVED_OFFSET, 1);
        assertError(ProtocolError.BAD_FIELD, () -> h.validate(InvocationHeader.LENGTH + 10, id, 2, 4096));
        buffer.set(Wire.SHORT, 0, (short) 0x1234);
        assertError(ProtocolError.BAD_MAGIC, () -> h.validate(InvocationHeader.LENGTH + 10, id, 2, 4096));
        h.write(id, 0, 1, 4096, 10);
        buffer.set(ValueLayout.JAVA_BYTE, 2, (byte) 99);
        assertError(ProtocolError.BAD_VERSION, () -> h.validate(InvocationHeader.LENGTH + 10, id, 2, 4096));
        h.write(id, 0, 1, 4096, 10);
        buffer.set(ValueLayout.JAVA_BYTE, 3, (byte) MessageType.REPLY.code());
        assertError(ProtocolError.BAD_TYPE, () -> h.validate(InvocationHeader.LENGTH + 10, id, 2, 4096));
        buffer.set(ValueLayout.JAVA_BYTE, 3, (byte) 200);
        assertError(ProtocolError.BAD_TYPE, () -> h.validate(InvocationHeader.LENGTH + 10, id, 2, 4096));
    }

    @Test
    void replyHeaderRoundTripsAndRejectsUnknownStatus() {
        ReplyHeader r = new ReplyHeader().wrap(buffer, 0);
        r.write(MessageType.REPLY, 77, Status.FUNCTION_FAILED, 5);
        assertEquals(MessageType.REPLY, r.validate(ReplyHeader.LENGTH + 5, 77));
        assertEquals(Status.FUNCTION_FAILED, r.status());
        assertEquals(5, r.payloadLength());
        buffer.set(Wire.SHORT, ReplyHeader.STATUS_OFFSET, (short) 999);
        assertError(ProtocolError.BAD_FIELD, () -> r.validate(ReplyHeader.LENGTH + 5, 77));
    }

    @Test
    void allocationRequestRoundTripsAndValidates() {
        AllocationRequest req = new AllocationRequest(0, 123456789L, new ExecutorShape(2, 512, -1, 2, 4096, 8192), 0,
                PackageKind.NATIVE,
                1000, "", "tcp://127.0.0.1:5000", List.of("echo", "sum_squares"));
        int n = req.encode(buffer, 0);
        assertEquals(req, AllocationRequest.decode(buffer, 0, n));
        assertError(ProtocolError.BAD_LENGTH, () -> AllocationRequest.decode(buffer, 0, n - 1));
        buffer.set(Wire.LONG, AllocationRequest.HOT_TIMEOUT_OFFSET, -2L);
        assertError(ProtocolError.BAD_FIELD, () -> AllocationRequest.decode(buffer, 0, n));
        req.encode(buffer, 0);
        buffer.set(Wire.INT, AllocationRequest.CORES_OFFSET, 0);
        assertError(ProtocolError.BAD_FIELD, () -> AllocationRequest.decode(buffer, 0, n));
        req.encode(buffer, 0);
        buffer.set(ValueLayout.JAVA_BYTE, AllocationRequest.PACKAGE_KIND_OFFSET, (byte) 9);
        assertError(ProtocolError.BAD_FIELD, () -> AllocationRequest.decode(buffer, 0, n));
        req.encode(buffer, 0);
        // The first string's length claims more bytes than the message has.
        buffer.set(Wire.SHORT, AllocationRequest.FIXED_LENGTH, (short) 4000);
        assertError(ProtocolError.TRUNCATED, () -> AllocationRequest.decode(buffer, 0, n));
    }

    @Test
    void allocationRequestCarriesThePackageDigestAndAckSaysCached() {
        PackageDigest digest = PackageDigest.of("package bytes".getBytes());
        AllocationRequest req = new AllocationRequest(3, 1, new ExecutorShape(1, 128, 0, 2, 64, 64), 0,
                PackageKind.JAR, 13, digest, "t", "tcp://127.0.0.1:5000", List.of());
        int n = req.encode(buffer, 0);
        AllocationRequest back = AllocationRequest.decode(buffer, 0, n);
        assertEquals(digest, back.packageDigest());
        assertEquals(digest.hex(), back.packageDigest().hex());
        assertEquals(PackageDigest.ofHex(digest.hex()), digest);
        AllocationRequest none = new AllocationRequest(3, 1, new ExecutorShape(1, 128, 0, 2, 64, 64), 0,
                PackageKind.JAR, 13, "t", "tcp://127.0.0.1:5000", List.of());
        assertTrue(AllocationRequest.decode(buffer, 0, none.encode(buffer, 0)).packageDigest().isNone());

        int a = PackageAck.write(buffer, 0, 13);
        assertEquals(13, PackageAck.decode(buffer, 0, a));
        buffer.set(Wire.INT, PackageAck.FLAGS_OFFSET, 1);
        assertError(ProtocolError.BAD_FIELD, () -> PackageAck.decode(buffer, 0, a));
    }

    @Test
    void controlMessagesRoundTrip() {
        WorkerHello hello = new WorkerHello(5, -7, 1, 2, 4, List.of("a", "b.c"));
        assertEquals(hello, WorkerHello.decode(buffer, 0, hello.encode(buffer, 0)));
        LeaseEnded ended = new LeaseEnded(5, LeaseEndReason.EXPIRED, new LeaseAccounting(10, 4, 3, 2, 1), "late");
        assertEquals(ended, LeaseEnded.decode(buffer, 0, ended.encode(buffer, 0)));
        AllocationResponse resp = new AllocationResponse(9, 1234, AllocationRefusal.NONE, "");
        assertEquals(resp, AllocationResponse.decode(buffer, 0, resp.encode(buffer, 0)));
        ExecutorHello eh = new ExecutorHello(42, 1000);
        assertEquals(eh, ExecutorHello.decode(buffer, 0, eh.encode(buffer, 0)));
        ExecutorAssignment ea = new ExecutorAssignment(9, -3, new ExecutorShape(3, 384, 250, 4, 100, 200),
                PackageKind.NATIVE, PackageDigest.of(new byte[] {1, 2, 3}), 10, "tcp://127.0.0.1:5000", "/tmp/lease-9/package.so", List.of("echo"));
        int an = ea.encode(buffer, 0);
        assertEquals(ea, ExecutorAssignment.decode(buffer, 0, an));
        buffer.set(Wire.LONG, ExecutorAssignment.HOT_TIMEOUT_OFFSET, Limits.MAX_HOT_TIMEOUT_MICROS + 1);
        assertError(ProtocolError.BAD_FIELD, () -> ExecutorAssignment.decode(buffer, 0, an));
        ea.encode(buffer, 0);
        buffer.set(Wire.LONG, ExecutorAssignment.MEMORY_OFFSET, 0L);
        assertError(ProtocolError.BAD_FIELD, () -> ExecutorAssignment.decode(buffer, 0, an));
        assertEquals(LeaseEndReason.REVOKED, ExecutorShutdown.decode(buffer, 0,
                ExecutorShutdown.write(buffer, 0, LeaseEndReason.REVOKED)));
        assertEquals(77, ReleaseRequest.decode(buffer, 0, ReleaseRequest.write(buffer, 0, 77)));
        assertEquals(300, PackageAck.decode(buffer, 0, PackageAck.write(buffer, 0, 300)));
        int n = PackageChunk.writeHeader(buffer, 0, 100, 50);
        assertEquals(50, PackageChunk.validate(buffer, 0, n, 100, 150));
        assertError(ProtocolError.BAD_FIELD, () -> PackageChunk.validate(buffer, 0, n, 0, 150));
        assertError(ProtocolError.BAD_FIELD, () -> PackageChunk.validate(buffer, 0, n, 100, 149));
    }

    @Test
    void executorReadyRoundTripsAndValidates() {
        assertEquals(12, ExecutorReady.decode(buffer, 0, ExecutorReady.write(buffer, 0, 12)));
        int n = ExecutorReady.write(buffer, 0, 0);
        assertError(ProtocolError.BAD_FIELD, () -> ExecutorReady.decode(buffer, 0, n));
        ExecutorReady.write(buffer, 0, 12);
        assertError(ProtocolError.BAD_LENGTH, () -> ExecutorReady.decode(buffer, 0, 24));
        ExecutorShutdown.write(buffer, 0, LeaseEndReason.REVOKED);
        assertError(ProtocolError.BAD_TYPE, () -> ExecutorReady.decode(buffer, 0, ExecutorShutdown.LENGTH));
    }

    @Test
    void acceptedAllocationMustNameALease() {
        int n = new AllocationResponse(0, 0, AllocationRefusal.NONE, "").encode(buffer, 0);
        assertError(ProtocolError.BAD_FIELD, () -> AllocationResponse.decode(buffer, 0, n));
    }

    @Test
    void workerHelloRejectsAWorkerIndexOutsideTheCount() {
        int n = new WorkerHello(5, 1, 1, 2, 2, List.of("a")).encode(buffer, 0);
        buffer.set(Wire.SHORT, WorkerHello.WORKER_INDEX_OFFSET, (short) 2);
        assertError(ProtocolError.BAD_FIELD, () -> WorkerHello.decode(buffer, 0, n));
    }

    private static void assertError(ProtocolError expected, org.junit.jupiter.api.function.Executable e) {
        ProtocolException x = assertThrows(ProtocolException.class, e);
        assertEquals(expected, x.error(), x.getMessage());
    }
}
