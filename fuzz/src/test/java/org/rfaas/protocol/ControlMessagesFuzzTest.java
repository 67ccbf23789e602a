package org.rfaas.protocol;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.rfaas.fuzz.FuzzStats;
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
}
