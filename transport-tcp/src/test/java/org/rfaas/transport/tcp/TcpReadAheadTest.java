package org.rfaas.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.ValueLayout;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;

/**
 * The reader's read-ahead of large frames into a predicted, released slot (see
 * {@link TcpFrameReader}): frames land intact whether the guess is right or wrong, whatever
 * follows them in the socket (control frames, shorter frames, frames for other slots, more bytes
 * than the stage holds), and a slot the caller still holds is never written. The frames come from
 * a raw socket, queued before the connection reads, so each case meets the reader with the bytes
 * it is about.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TcpReadAheadTest extends RawListenerFixture {
    private static final ConnectionSpec SPEC = new ConnectionSpec(4, 32 << 10, 0);
    /** Larger than the reader's stage: these frames are read ahead once the pattern is known. */
    private static final int LARGE = 30 << 10;

    private final Completion completion = new Completion();
    private int sequence;

    @Override
    ConnectionSpec listenerSpec() {
        return SPEC;
    }

    @Test
    void framesLandIntactWhetherTheGuessIsRightOrWrong() throws Exception {
        try (Socket s = rawConnect(); Connection c = establish(s)) {
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < 4; i++) { // the same slot each time: read ahead once the pattern holds
                roundTrip(out, c, 0, LARGE);
            }
            long landed = landed(c);
            assertTrue(landed > 0, "no frame into the same slot was read ahead in place");
            for (int i = 0; i < 8; i++) { // round robin: the step is learned
                roundTrip(out, c, i % SPEC.slots(), LARGE);
            }
            assertTrue(landed(c) > landed + 1, "round-robin frames were not read ahead in place");
            roundTrip(out, c, 2, LARGE); // expected slot 0: a wrong guess
            for (int i = 0; i < 3; i++) {
                roundTrip(out, c, 2, LARGE);
            }
            roundTrip(out, c, 2, SPEC.slotSize()); // longer than the last one: the rest follows in place
            roundTrip(out, c, 2, 9 << 10); // shorter: nothing else queued behind it
            roundTrip(out, c, 2, 100); // small frames go through the stage again
        }
    }

    @Test
    void whatFollowsAFrameReadAheadIsParsedFromTheStage() throws Exception {
        try (Socket s = rawConnect(); Connection c = establish(s)) {
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < 3; i++) {
                roundTrip(out, c, 1, LARGE);
            }
            // Queued together: a shorter frame for the expected slot, then two large frames for
            // others; reading ahead 30 KiB takes the second header and part of its payload, more
            // than the stage holds.
            byte[][] payloads = {pattern(10 << 10), pattern(LARGE), pattern(LARGE)};
            int[] slots = {1, 3, 0};
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            for (int i = 0; i < payloads.length; i++) {
                batch.write(write(slots[i], payloads[i], 100 + i));
            }
            sendQueued(out, batch.toByteArray());
            for (int i = 0; i < payloads.length; i++) {
                expect(c, slots[i], payloads[i], 100 + i);
            }
            // A heartbeat queued in front of a large frame: read ahead, found a control frame.
            for (int i = 0; i < 3; i++) {
                roundTrip(out, c, 0, LARGE);
            }
            byte[] after = pattern(LARGE);
            batch.reset();
            batch.write(TcpRawInjector.header(MAGIC, 1, Frame.HEARTBEAT, 0, 0, 0, 0));
            batch.write(write(0, after, 200));
            sendQueued(out, batch.toByteArray());
            expect(c, 0, after, 200);
            // And the pattern comes back after all that.
            for (int i = 0; i < 4; i++) {
                roundTrip(out, c, 0, LARGE);
            }
        }
    }

    @Test
    void aSlotTheCallerHoldsIsNeverWritten() throws Exception {
        try (Socket s = rawConnect(); Connection c = establish(s)) {
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < 3; i++) {
                roundTrip(out, c, 0, LARGE);
            }
            byte[] kept = pattern(LARGE);
            sendQueued(out, write(0, kept, 1));
            expectHeld(c, 0, kept, 1); // not released: the caller is still reading slot 0
            byte[] other = pattern(LARGE);
            sendQueued(out, write(1, other, 2));
            expect(c, 1, other, 2);
            assertArrayEquals(kept, c.receiveSlot(0).asSlice(0, LARGE).toArray(ValueLayout.JAVA_BYTE),
                    "a frame for slot 1 changed slot 0, which the caller had not released");
            c.release(0);
        }
    }

    /**
     * A payload written from inside a receive slot (an executor's in-place reply starts 8 bytes in)
     * leaves with its header in one write, the header over the bytes in front of it: the peer gets
     * the frame whole, and the payload is untouched.
     */
    @Test
    void aPayloadFromInsideAReceiveSlotLeavesWholeBehindItsHeader() throws Exception {
        ConnectionSpec peer = new ConnectionSpec(1, 64 << 10, 0);
        try (Socket s = rawConnect(); Connection c = establish(s, peer)) {
            for (int offset : new int[] {8, 32, 40}) {
                byte[] in = pattern(LARGE);
                sendQueued(s.getOutputStream(), write(0, in, 7));
                expectHeld(c, 0, in, 7);
                int length = LARGE - offset;
                c.write(0, c.receiveSlot(0), offset, length, 9 + offset);
                assertArrayEquals(TcpRawInjector.header(MAGIC, 1, Frame.WRITE, length, 0, 9 + offset, 0),
                        s.getInputStream().readNBytes(Frame.LENGTH), "header of the frame sent from offset " + offset);
                assertArrayEquals(java.util.Arrays.copyOfRange(in, offset, LARGE), s.getInputStream().readNBytes(length),
                        "payload sent from offset " + offset);
                if (offset > Frame.LENGTH) { // only the first 32 bytes may be taken: the slot in front stays as it was
                    assertArrayEquals(java.util.Arrays.copyOfRange(in, 0, offset),
                            c.receiveSlot(0).asSlice(0, offset).toArray(ValueLayout.JAVA_BYTE),
                            "the bytes in front of a payload " + offset + " bytes into its slot");
                }
                c.release(0);
            }
        }
    }

    private static long landed(Connection c) {
        return ((TcpConnection) c).reader().landedInPlace();
    }

    private void roundTrip(OutputStream out, Connection c, int slot, int length) throws IOException {
        byte[] payload = pattern(length);
        int imm = ++sequence;
        sendQueued(out, write(slot, payload, imm));
        expect(c, slot, payload, imm);
    }

    /** Receives one WRITE, checks it byte by byte, and releases its slot. */
    private void expect(Connection c, int slot, byte[] payload, int immediate) {
        expectHeld(c, slot, payload, immediate);
        c.release(slot);
    }

    private void expectHeld(Connection c, int slot, byte[] payload, int immediate) {
        assertTrue(c.await(completion, Duration.ofSeconds(10).toNanos()), "no frame arrived");
        assertEquals(slot, completion.slot(), "slot");
        assertEquals(payload.length, completion.length(), "length");
        assertEquals(immediate, completion.immediate(), "immediate");
        assertArrayEquals(payload, c.receiveSlot(slot).asSlice(0, payload.length).toArray(ValueLayout.JAVA_BYTE),
                "payload of the WRITE into slot " + slot);
    }

    /** Writes the bytes and gives loopback a moment, so they are all queued when the reader reads. */
    private static void sendQueued(OutputStream out, byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] write(int slot, byte[] payload, int immediate) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(TcpRawInjector.header(MAGIC, 1, Frame.WRITE, payload.length, slot, immediate, 0));
        b.write(payload);
        return b.toByteArray();
    }

    private int salt;

    /** Bytes that differ between frames, so a payload in the wrong slot or offset shows. */
    private byte[] pattern(int length) {
        byte[] b = new byte[length];
        int s = ++salt * 31;
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 7 + s + (i >>> 8));
        }
        return b;
    }

    /** Handshakes from the raw socket and accepts; the raw side's send buffer holds every batch. */
    private Connection establish(Socket s) throws IOException {
        return establish(s, RAW_SPEC);
    }

    /** {@link #establish(Socket)} with the raw side announcing {@code rawSpec}. */
    private Connection establish(Socket s, ConnectionSpec rawSpec) throws IOException {
        s.setSendBufferSize(1 << 20);
        s.getOutputStream().write(TcpRawInjector.handshake(rawSpec));
        Connection c = listener.accept(Duration.ofSeconds(10));
        assertNotNull(c);
        s.getInputStream().readNBytes(Frame.LENGTH); // the listener's handshake answer
        return c;
    }
}
