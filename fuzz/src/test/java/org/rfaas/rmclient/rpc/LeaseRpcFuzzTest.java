package org.rfaas.rmclient.rpc;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.rfaas.fuzz.FuzzStats;
import org.rfaas.rmclient.LeaseGrant;

/**
 * The lease endpoint's frames ({@link LeaseRpc}) as either side reads them: the input is a byte
 * stream taken frame by frame as the server's selector takes them ({@link LeaseRpc.Reader#take}),
 * each frame decoded by its type's reader (the server's HELLO, GRANT and RELEASE, the client's
 * WELCOME, GRANTED, RELEASED and ERROR). A frame may only decode or be refused with
 * {@link LeaseRpc.MalformedFrameException}; anything else fails the test.
 */
class LeaseRpcFuzzTest {
    private static final FuzzStats STATS = FuzzStats.of("LeaseRpcFuzzTest");
    private final LeaseRpc.Reader in = new LeaseRpc.Reader();

    @FuzzTest
    void decode(byte[] data) {
        ByteBuffer stream = ByteBuffer.wrap(data);
        try {
            while (true) {
                byte type = in.take(stream);
                if (type < 0) {
                    return;
                }
                String name = switch (type) {
                    case LeaseRpc.HELLO -> LeaseRpc.Hello.read(in).getClass().getSimpleName();
                    case LeaseRpc.WELCOME -> LeaseRpc.readWelcome(in) == null ? "" : "Welcome";
                    case LeaseRpc.GRANT -> LeaseRpc.Grant.read(in).getClass().getSimpleName();
                    case LeaseRpc.GRANTED -> LeaseRpc.readGranted(in).getClass().getSimpleName();
                    case LeaseRpc.RELEASE -> LeaseRpc.Release.read(in).getClass().getSimpleName();
                    case LeaseRpc.RELEASED -> LeaseRpc.Released.read(in).getClass().getSimpleName();
                    case LeaseRpc.ERROR -> LeaseRpc.ErrorAnswer.read(in).getClass().getSimpleName();
                    default -> throw new AssertionError("take() answered type " + type);
                };
                STATS.count(name, true);
            }
        } catch (LeaseRpc.MalformedFrameException refused) {
            STATS.count("malformed", false);
        }
    }

    /** One valid frame per message type, from the real encoders: where fuzzing starts. */
    static Map<String, byte[]> seeds() {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        LeaseRpc.Writer w = new LeaseRpc.Writer();
        seeds.put("Hello", new LeaseRpc.Hello(LeaseRpc.VERSION, "rfk_abcdefghijklmnop", "tenant-1").write(w).toBytes());
        seeds.put("Welcome", w.begin(LeaseRpc.WELCOME).str("tenant-1").toBytes());
        seeds.put("Grant", new LeaseRpc.Grant(2, 256, 60_000, "spread", "job:rank-3").write(w).toBytes());
        seeds.put("Granted", LeaseRpc.writeGranted(w, new LeaseGrant(17, "tenant-1", "node0", "10.0.0.1", 7000, "tcp", 2,
                256, 1_800_000_000_000L, "eyJsZWFzZSI6MTd9.c2lnbmF0dXJl")).toBytes());
        seeds.put("Release", new LeaseRpc.Release(17, "eyJsZWFzZSI6MTd9.c2lnbmF0dXJl").write(w).toBytes());
        seeds.put("Released", new LeaseRpc.Released(17, "RELEASED").write(w).toBytes());
        seeds.put("ErrorAnswer", new LeaseRpc.ErrorAnswer(409, "NO_CAPACITY", "no node has 2 free cores").write(w).toBytes());
        return seeds;
    }
}
