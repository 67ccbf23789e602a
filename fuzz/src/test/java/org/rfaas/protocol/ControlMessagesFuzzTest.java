package org.rfaas.protocol;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.rfaas.fuzz.FuzzStats;
import java.util.Map;
import java.util.List;
import java.util.LinkedHashMap;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Wire;

/**
 * Every decoder of the control and invocation protocol, fed what a hostile peer can put in a
 * receive slot: the first input byte picks the decoder, the rest is the message. A decoder may
 * only accept or throw {@link ProtocolException}; anything else (an index, size or arithmetic
 * error, an out-of-memory) fails the test and Jazzer keeps the input.
 */
class ControlMessagesFuzzTest {
    /** Larger than any input libFuzzer makes here (4 KiB): the message sits in a slot, as received. */
    private static final int SLOT = 8192;
    private static final String[] DECODERS = {"AllocationRequest", "AllocationResponse", "ExecutorHello",
        "ExecutorAssignment", "ExecutorReady", "ExecutorShutdown", "LeaseEnded", "PackageAck", "PackageChunk",
        "ReleaseRequest", "WorkerHello", "InvocationHeader", "ReplyHeader", "MessageHeader"};
    private static final FuzzStats STATS = FuzzStats.of("ControlMessagesFuzzTest");
    private static final MemorySegment SLOT_MEMORY = Arena.ofAuto().allocate(SLOT, 64);
    private final InvocationHeader invocation = new InvocationHeader();
    private final ReplyHeader reply = new ReplyHeader();

    @FuzzTest
    @DictionaryEntries({"RF", "\u0001"})
    void decode(byte[] data) {
        if (data.length < 1 || data.length > SLOT) {
            return;
        }
        int which = (data[0] & 0xff) % DECODERS.length;
        int received = data.length - 1;
        SLOT_MEMORY.fill((byte) 0);
        MemorySegment.copy(data, 1, SLOT_MEMORY, ValueLayout.JAVA_BYTE, 0, received);
        boolean accepted = true;
        try {
            decode(which, SLOT_MEMORY, received);
        } catch (ProtocolException rejected) {
            accepted = false;
        }
        STATS.count(DECODERS[which], accepted);
    }

    private void decode(int which, MemorySegment m, int received) {
        switch (which) {
            case 0 -> AllocationRequest.decode(m, 0, received);
            case 1 -> AllocationResponse.decode(m, 0, received);
            case 2 -> ExecutorHello.decode(m, 0, received);
            case 3 -> ExecutorAssignment.decode(m, 0, received);
            case 4 -> ExecutorReady.decode(m, 0, received);
            case 5 -> ExecutorShutdown.decode(m, 0, received);
            case 6 -> LeaseEnded.decode(m, 0, received);
            case 7 -> PackageAck.decode(m, 0, received);
            // a receiver that has 100 of a 4096-byte package, as the manager checks each chunk
            case 8 -> PackageChunk.validate(m, 0, received, 100, 4096);
            case 9 -> ReleaseRequest.decode(m, 0, received);
            case 10 -> WorkerHello.decode(m, 0, received);
            // an executor with 16 result slots sized for 64 KiB outputs; the immediate as sent
            case 11 -> invocation.wrap(m, 0).validate(received, m.get(Wire.INT, 8), 16, 65536);
            case 12 -> reply.wrap(m, 0).validate(received, m.get(Wire.INT, 8));
            default -> MessageHeader.check(m, 0, received, MessageHeader.LENGTH);
        }
    }

    /** Valid messages, one per decoder (the selector byte first): where fuzzing starts. */
    static Map<String, byte[]> seeds() {
        MemorySegment b = Arena.ofAuto().allocate(SLOT, 8);
        ExecutorShape shape = new ExecutorShape(2, 256, 100, 4, 4096, 4096);
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        seeds.put("AllocationRequest", seed(0, b, new AllocationRequest(0, 7, shape, 60_000, PackageKind.JAR, 4096,
                "token", "tcp://127.0.0.1:4000", List.of()).encode(b, 0)));
        seeds.put("AllocationResponse", seed(1, b, new AllocationResponse(5, 1_000, AllocationRefusal.NONE, "")
                .encode(b, 0)));
        seeds.put("ExecutorHello", seed(2, b, new ExecutorHello(99, 1234).encode(b, 0)));
        seeds.put("ExecutorAssignment", seed(3, b, new ExecutorAssignment(5, 7, shape, PackageKind.NATIVE, PackageDigest.of(new byte[] {9}), 100,
                "tcp://127.0.0.1:4000", "/tmp/lease-5/package.so", List.of("echo", "sum")).encode(b, 0)));
        seeds.put("ExecutorReady", seed(4, b, ExecutorReady.write(b, 0, 5)));
        seeds.put("ExecutorShutdown", seed(5, b, ExecutorShutdown.write(b, 0, LeaseEndReason.EXPIRED)));
        seeds.put("LeaseEnded", seed(6, b, new LeaseEnded(5, LeaseEndReason.RELEASED, LeaseAccounting.ZERO, "done")
                .encode(b, 0)));
        seeds.put("PackageAck", seed(7, b, PackageAck.write(b, 0, 100)));
        int chunk = PackageChunk.writeHeader(b, 0, 100, 64);
        seeds.put("PackageChunk", seed(8, b, chunk));
        seeds.put("ReleaseRequest", seed(9, b, ReleaseRequest.write(b, 0, 5)));
        seeds.put("WorkerHello", seed(10, b, new WorkerHello(5, 7, 1, 2, 4, List.of("echo")).encode(b, 0)));
        new InvocationHeader().wrap(b, 0).write(InvocationHeader.invocationId(3, 2), 0, 2, 1024, 16);
        seeds.put("InvocationHeader", seed(11, b, InvocationHeader.LENGTH + 16));
        new ReplyHeader().wrap(b, 0).write(MessageType.REPLY, InvocationHeader.invocationId(3, 2), Status.OK, 16);
        seeds.put("ReplyHeader", seed(12, b, ReplyHeader.LENGTH + 16));
        return seeds;
    }

    private static byte[] seed(int decoder, MemorySegment message, int length) {
        byte[] seed = new byte[1 + length];
        seed[0] = (byte) decoder;
        MemorySegment.copy(message, ValueLayout.JAVA_BYTE, 0, seed, 1, length);
        message.fill((byte) 0);
        return seed;
    }
}
