package org.rfaas.transport.shm;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.rfaas.fuzz.FuzzStats;
import org.rfaas.transport.ConnectionSpec;
import java.util.Map;
import java.util.LinkedHashMap;
import java.nio.ByteBuffer;
import org.rfaas.transport.ProtocolException;

/**
 * The shm handshake messages (HELLO, WELCOME, COUNTERS, MAPPED, REJECT) as either side decodes
 * them: the first input byte picks the step (the type expected), the rest is what arrived. The
 * decoder may only accept or throw {@link ProtocolException}.
 */
class ShmHandshakeFuzzTest {
    private static final int[] STEPS = {ShmHandshake.HELLO, ShmHandshake.WELCOME, ShmHandshake.MAPPED,
        ShmHandshake.COUNTERS};
    private static final FuzzStats STATS = FuzzStats.of("ShmHandshakeFuzzTest");

    @FuzzTest
    void decode(byte[] data) {
        if (data.length < 1 + ShmHandshake.FIXED) {
            return; // the reader waits for the 32 fixed bytes before it decodes anything
        }
        int expected = STEPS[(data[0] & 0xff) % STEPS.length];
        MemorySegment fixed = MemorySegment.ofArray(Arrays.copyOfRange(data, 1, 1 + ShmHandshake.FIXED));
        boolean accepted = true;
        try {
            int textLength = ShmHandshake.textLength(fixed, expected);
            int from = 1 + ShmHandshake.FIXED;
            if (data.length - from < textLength) {
                return; // still arriving
            }
            ShmHandshake.decode(fixed, Arrays.copyOfRange(data, from, from + textLength));
        } catch (ProtocolException rejected) {
            accepted = false;
        }
        STATS.count("ShmHandshake " + ShmHandshake.name(expected), accepted);
    }

    /** Each message of the handshake, as sent (the step byte first): where fuzzing starts. */
    static Map<String, byte[]> seeds() {
        ConnectionSpec spec = new ConnectionSpec(4, 4096, 2);
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        seeds.put("hello", seed(0, ShmHandshake.hello(spec)));
        seeds.put("welcome", seed(1, ShmHandshake.welcome(spec, 1 << 20, "/dev/shm/rfaas-x", ShmHandshake.FLAG_SHARED_COUNTERS)));
        seeds.put("mapped", seed(2, ShmHandshake.mapped()));
        seeds.put("counters", seed(3, ShmHandshake.counters(2, 4096, "/dev/shm/rfaas-c")));
        return seeds;
    }

    private static byte[] seed(int step, ByteBuffer message) {
        byte[] seed = new byte[1 + message.remaining()];
        seed[0] = (byte) step;
        message.get(seed, 1, message.remaining());
        return seed;
    }
}
