package org.rfaas.benchmarks.micro;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.rfaas.protocol.InvocationHeader;
import org.rfaas.protocol.MessageType;
import org.rfaas.protocol.ReplyHeader;
import org.rfaas.protocol.Status;

/**
 * Encode + validate of the two flyweights on every invocation: the client writes an
 * {@link InvocationHeader} and the worker validates it; the worker writes a {@link ReplyHeader}
 * and the client validates it. Both must cost a few ns and allocate nothing (check with
 * {@code -prof gc}: {@code gc.alloc.rate.norm} ≈ 0 B/op).
 *
 * <p>The invocation id changes on every call (as a real client bumps the slot's generation) so
 * the JIT cannot fold the validation into a constant.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Thread)
public class ProtocolBench {
    private static final int RESULT_SLOTS = 16;
    private static final int MAX_OUTPUT = 4096;
    private static final int INPUT = 40; // 24 B header + 40 B input = one 64 B message

    private Arena arena;
    private MemorySegment buffer;
    private final InvocationHeader invocation = new InvocationHeader();
    private final ReplyHeader reply = new ReplyHeader();
    private int generation;

    /** One native buffer for the whole trial, as a connection's registered memory would be. */
    @Setup
    public void setup() {
        arena = Arena.ofShared();
        buffer = arena.allocate(256, 8);
        invocation.wrap(buffer, 0);
        reply.wrap(buffer, 128);
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    /** Client side writes the invocation header; worker side validates it as received. */
    @Benchmark
    public int invocationEncodeValidate() {
        int slot = generation & (RESULT_SLOTS - 1);
        int id = InvocationHeader.invocationId(++generation & 0xffffff, slot);
        invocation.write(id, 3, slot, MAX_OUTPUT, INPUT);
        invocation.validate(InvocationHeader.LENGTH + INPUT, id, RESULT_SLOTS, MAX_OUTPUT);
        return invocation.functionIndex() + invocation.inputLength();
    }

    /** Worker side writes the reply header; client side validates it as received. */
    @Benchmark
    public MessageType replyEncodeValidate() {
        int id = InvocationHeader.invocationId(++generation & 0xffffff, generation & (RESULT_SLOTS - 1));
        reply.write(MessageType.REPLY, id, Status.OK, INPUT);
        return reply.validate(ReplyHeader.LENGTH + INPUT, id);
    }
}
