package org.rfaas.transport.fabric;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.rfaas.fuzz.FuzzStats;
import org.rfaas.transport.ConnectionSpec;
import java.util.Map;
import java.util.LinkedHashMap;
import org.rfaas.transport.ProtocolException;

/**
 * What a fabric peer sends on the out-of-band socket: its HELLO / WELCOME (decoded as
 * {@link Hello#read} and {@link FabricHandshake#peer} do, short of inserting the address into an
 * address vector) and the 16-byte {@link OobFrame}s after it. The first input byte picks which;
 * the decoders may only accept or throw {@link ProtocolException}.
 */
class FabricHandshakeFuzzTest {
    private static final FuzzStats STATS = FuzzStats.of("FabricHandshakeFuzzTest");
    private final OobFrame frame = new OobFrame();

    @FuzzTest
    void decode(byte[] data) {
        if (data.length < 1) {
            return;
        }
        byte[] message = Arrays.copyOfRange(data, 1, data.length);
        switch (data[0] & 3) {
            case 0, 1 -> hello(message, (data[0] & 3) == 0 ? Hello.TYPE_HELLO : Hello.TYPE_WELCOME);
            default -> oobFrame(message);
        }
    }

    private void hello(byte[] message, byte type) {
        if (message.length < Hello.HEADER) {
            return; // Hello.read waits for the whole header
        }
        byte[] buf = Arrays.copyOf(message, Math.max(message.length, Hello.MAX_LENGTH));
        Hello h = new Hello().wrap(MemorySegment.ofArray(buf));
        boolean accepted = true;
        try {
            int length = h.validateHeader(type);
            if (message.length < length) {
                return; // still arriving
            }
            h.wrap(MemorySegment.ofArray(Arrays.copyOf(message, length)));
            h.provider();
            byte[] name = h.name();
            if ((h.flags() & Hello.FLAG_WAKE_ENDPOINT) != 0) {
                Arrays.copyOfRange(name, name.length / 2, name.length);
            }
            h.spec();
        } catch (ProtocolException rejected) {
            accepted = false;
        }
        STATS.count(type == Hello.TYPE_HELLO ? "fabric HELLO" : "fabric WELCOME", accepted);
    }

    private void oobFrame(byte[] message) {
        if (message.length < OobFrame.LENGTH) {
            return;
        }
        System.arraycopy(message, 0, frame.bytes(), 0, OobFrame.LENGTH);
        boolean accepted = true;
        try {
            frame.validate(4);
        } catch (ProtocolException rejected) {
            accepted = false;
        }
        STATS.count("fabric OobFrame", accepted);
    }

    /** A HELLO, a WELCOME with a wake-up endpoint, and a fetch-and-add frame: where fuzzing starts. */
    static Map<String, byte[]> seeds() {
        ConnectionSpec spec = new ConnectionSpec(4, 4096, 2);
        long stride = 4096 + Hello.SLOT_DATA_OFFSET;
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        byte[] out = new byte[Hello.MAX_LENGTH];
        int n = Hello.encode(out, Hello.TYPE_HELLO, spec, Hello.FLAG_RMA, stride, 0, 42, stride * 4, new byte[16],
                "tcp;ofi_rxm");
        seeds.put("hello", prefixed(0, Arrays.copyOf(out, n)));
        n = Hello.encode(out, Hello.TYPE_WELCOME, spec, Hello.FLAG_DOORBELL | Hello.FLAG_WAKE_ENDPOINT, stride, 0, 42,
                stride * 4, new byte[32], "shm");
        seeds.put("welcome", prefixed(1, Arrays.copyOf(out, n)));
        OobFrame frame = new OobFrame().set(OobFrame.TYPE_FAA_REQUEST, 1, 5);
        seeds.put("oob-frame", prefixed(2, frame.bytes().clone()));
        return seeds;
    }

    private static byte[] prefixed(int first, byte[] rest) {
        byte[] seed = new byte[1 + rest.length];
        seed[0] = (byte) first;
        System.arraycopy(rest, 0, seed, 1, rest.length);
        return seed;
    }
}
