package org.rfaas.rmclient.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.rfaas.rmclient.LeaseGrant;

/** The lease endpoint's frames: each message decodes to what was encoded; malformed frames are refused. */
class LeaseRpcTest {
    private final LeaseRpc.Writer out = new LeaseRpc.Writer();
    private final LeaseRpc.Reader in = new LeaseRpc.Reader();

    @Test
    void everyMessageRoundTrips() throws Exception {
        LeaseRpc.Hello hello = new LeaseRpc.Hello(LeaseRpc.VERSION, "rfk_key", "alice");
        assertEquals(LeaseRpc.HELLO, in.parse(hello.write(out).toBytes()));
        assertEquals(hello, LeaseRpc.Hello.read(in));
        LeaseRpc.Grant grant = new LeaseRpc.Grant(4, 2048, 60_000, null, "job:rank-1");
        assertEquals(LeaseRpc.GRANT, in.parse(grant.write(out).toBytes()));
        assertEquals(grant, LeaseRpc.Grant.read(in));
        LeaseGrant g = new LeaseGrant(7, "alice", "n1", "10.0.0.1", 7000, "tcp", 4, 2048, 1_800_000_000_000L, "a.b");
        assertEquals(LeaseRpc.GRANTED, in.parse(LeaseRpc.writeGranted(out, g).toBytes()));
        assertEquals(g, LeaseRpc.readGranted(in));
        LeaseRpc.Released released = new LeaseRpc.Released(7, "RELEASED");
        assertEquals(LeaseRpc.RELEASED, in.parse(released.write(out).toBytes()));
        assertEquals(released, LeaseRpc.Released.read(in));
    }

    @Test
    void aLongErrorMessageIsCutToFitItsField() throws Exception {
        String message = "ü".repeat(5_000); // two bytes each in UTF-8
        assertEquals(LeaseRpc.ERROR, in.parse(new LeaseRpc.ErrorAnswer(409, "NO_CAPACITY", message).write(out).toBytes()));
        LeaseRpc.ErrorAnswer e = LeaseRpc.ErrorAnswer.read(in);
        assertEquals(409, e.status());
        assertTrue(e.message().startsWith("üüü") && e.message().endsWith("..."), e.message().length() + " characters");
    }

    @Test
    void malformedFramesAreRefused() throws Exception {
        byte[] hello = new LeaseRpc.Hello(LeaseRpc.VERSION, "k", "t").write(out).toBytes();
        // a frame cut short: take() waits for the rest
        assertEquals(-1, in.take(ByteBuffer.wrap(hello, 0, hello.length - 1)));
        // a length beyond the largest frame, an unknown type, a field past the end, bytes left over
        assertThrows(LeaseRpc.MalformedFrameException.class, () -> in.take(ByteBuffer.wrap(new byte[] {0x7f, 0, 0, 0, 1})));
        assertThrows(LeaseRpc.MalformedFrameException.class, () -> in.take(ByteBuffer.wrap(new byte[] {0, 0, 0, 1, 42})));
        in.parse(new byte[] {0, 0, 0, 3, LeaseRpc.RELEASE, 0, 0});
        assertThrows(LeaseRpc.MalformedFrameException.class, () -> LeaseRpc.Release.read(in));
        byte[] extra = new byte[hello.length + 1];
        System.arraycopy(hello, 0, extra, 0, hello.length);
        extra[3]++;
        in.parse(extra);
        assertThrows(LeaseRpc.MalformedFrameException.class, () -> LeaseRpc.Hello.read(in));
        // a string that is not UTF-8
        in.parse(new byte[] {0, 0, 0, 12, LeaseRpc.RELEASE, 0, 0, 0, 0, 0, 0, 0, 7, 0, 1, (byte) 0xff});
        assertThrows(LeaseRpc.MalformedFrameException.class, () -> LeaseRpc.Release.read(in));
    }
}
