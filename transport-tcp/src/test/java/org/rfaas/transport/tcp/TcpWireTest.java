package org.rfaas.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;

/**
 * Pins the tcp wire format byte by byte from a raw socket: valid frames have the documented
 * effect, and every field of every frame is validated with the documented error.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TcpWireTest extends RawListenerFixture {
    private static final ConnectionSpec SPEC = new ConnectionSpec(4, 4096, 2);

    @Override
    ConnectionSpec listenerSpec() {
        return SPEC;
    }

    /** Raw handshake, accept, and check the listener's answer byte by byte. */
    private Connection establish(Socket s) throws IOException {
        s.getOutputStream().write(TcpRawInjector.handshake(RAW_SPEC));
        Connection c = listener.accept(Duration.ofSeconds(10));
        assertNotNull(c);
        ByteBuffer reply = read(s.getInputStream(), 32);
        assertEquals(MAGIC, reply.getShort(0));
        assertEquals(1, reply.get(2), "version");
        assertEquals(1, reply.get(3), "type HANDSHAKE");
        assertEquals(0, reply.getShort(4), "flags");
        assertEquals(0, reply.getInt(8), "length");
        assertEquals(SPEC.slots(), reply.getInt(12));
        assertEquals(SPEC.slotSize(), reply.getInt(16));
        assertEquals(SPEC.counters(), reply.getLong(24));
        assertEquals(RAW_SPEC, c.peerSpec());
        return c;
    }

    private static ByteBuffer read(InputStream in, int n) throws IOException {
        byte[] b = new byte[n];
        new DataInputStream(in).readFully(b);
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void rawWriteAndFetchAndAddFollowTheDocumentedLayout() throws Exception {
        try (Socket s = rawConnect(); Connection c = establish(s)) {
            OutputStream out = s.getOutputStream();
            byte[] payload = "twenty bytes of data".getBytes();
            out.write(TcpRawInjector.header(MAGIC, 1, 2, payload.length, 3, 0xcafe, 0));
            out.write(payload);
            Completion done = new Completion();
            assertTrue(c.await(done, TimeUnit.SECONDS.toNanos(10)));
            assertEquals(3, done.slot());
            assertEquals(payload.length, done.length());
            assertEquals(0xcafe, done.immediate());
            byte[] got = new byte[payload.length];
            java.lang.foreign.MemorySegment.ofArray(got).copyFrom(c.receiveSlot(3).asSlice(0, payload.length));
            assertEquals(new String(payload), new String(got));

            out.write(TcpRawInjector.header(MAGIC, 1, 3, 0, 1, 0, 40));
            out.write(TcpRawInjector.header(MAGIC, 1, 3, 0, 1, 0, 2));
            assertFalse(c.await(done, TimeUnit.MILLISECONDS.toNanos(300)), "an FAA is not a completion");
            ByteBuffer r1 = read(s.getInputStream(), 32);
            ByteBuffer r2 = read(s.getInputStream(), 32);
            assertEquals(4, r1.get(3), "type FAA_RESPONSE");
            assertEquals(1, r1.getInt(12), "counter");
            assertEquals(0, r1.getLong(24), "previous value");
            assertEquals(40, r2.getLong(24), "previous value");
            assertEquals(42, c.localCounter(1));

            c.write(0, c.receiveSlot(3), 0, 8, 77);
            ByteBuffer w = read(s.getInputStream(), 32);
            assertEquals(2, w.get(3), "type WRITE");
            assertEquals(8, w.getInt(8));
            assertEquals(0, w.getInt(12));
            assertEquals(77, w.getInt(16));
            assertEquals("twenty b", new String(read(s.getInputStream(), 8).array()));

            out.write(TcpRawInjector.header(MAGIC, 1, 5, 0, 0, 0, 0));
            PeerFailedException e = assertThrows(PeerFailedException.class, () -> c.await(done, TimeUnit.SECONDS.toNanos(10)));
            assertTrue(e.getMessage().contains("closed the connection"), e.getMessage());
        }
    }

    @Test
    void closeSendsACloseFrame() throws Exception {
        try (Socket s = rawConnect()) {
            Connection c = establish(s);
            c.close();
            ByteBuffer f = read(s.getInputStream(), 32);
            assertEquals(5, f.get(3), "type CLOSE");
            assertEquals(-1, s.getInputStream().read(), "socket closed after CLOSE");
        }
    }

    static Stream<Arguments> badFrames() {
        return Stream.of(
                Arguments.of("version 2", TcpRawInjector.header(MAGIC, 2, 2, 8, 0, 0, 0), ProtocolError.BAD_VERSION),
                Arguments.of("non-zero flags", TcpRawInjector.header(MAGIC, 1, 2, 1, 8, 0, 0, 0), ProtocolError.BAD_FIELD),
                Arguments.of("unknown type", TcpRawInjector.header(MAGIC, 1, 9, 0, 0, 0, 0), ProtocolError.BAD_TYPE),
                Arguments.of("second handshake", TcpRawInjector.handshake(RAW_SPEC), ProtocolError.BAD_TYPE),
                Arguments.of("negative length", TcpRawInjector.header(MAGIC, 1, 2, -5, 0, 0, 0), ProtocolError.BAD_LENGTH),
                Arguments.of("negative slot", TcpRawInjector.header(MAGIC, 1, 2, 8, -1, 0, 0), ProtocolError.BAD_INDEX),
                Arguments.of("write with a value", TcpRawInjector.header(MAGIC, 1, 2, 8, 0, 0, 9), ProtocolError.BAD_FIELD),
                Arguments.of("FAA with payload", TcpRawInjector.header(MAGIC, 1, 3, 8, 0, 0, 1), ProtocolError.BAD_LENGTH),
                Arguments.of("FAA past the counters", TcpRawInjector.header(MAGIC, 1, 3, 0, 2, 0, 1), ProtocolError.BAD_INDEX),
                Arguments.of("FAA with an immediate", TcpRawInjector.header(MAGIC, 1, 3, 0, 0, 5, 1), ProtocolError.BAD_FIELD),
                Arguments.of("unsolicited FAA_RESPONSE", TcpRawInjector.header(MAGIC, 1, 4, 0, 0, 0, 1), ProtocolError.BAD_TYPE),
                Arguments.of("CLOSE with payload", TcpRawInjector.header(MAGIC, 1, 5, 4, 0, 0, 0), ProtocolError.BAD_LENGTH),
                Arguments.of("CLOSE with an index", TcpRawInjector.header(MAGIC, 1, 5, 0, 3, 0, 0), ProtocolError.BAD_FIELD));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFrames")
    void badFrameIsRejectedWithItsErrorAndAnErrorFrame(String what, byte[] frame, ProtocolError expected) throws Exception {
        try (Socket s = rawConnect(); Connection c = establish(s)) {
            s.getOutputStream().write(frame);
            s.getOutputStream().write(new byte[8]); // a payload, for the frames that announce one
            ProtocolException e = assertThrows(ProtocolException.class, () -> {
                Completion done = new Completion();
                while (true) {
                    if (c.await(done, TimeUnit.SECONDS.toNanos(10))) {
                        fail("bad frame delivered a completion " + done);
                    }
                }
            });
            assertEquals(expected, e.error(), e.getMessage());
            assertFalse(c.isOpen());
            ByteBuffer error = read(s.getInputStream(), 32);
            assertEquals(6, error.get(3), "type ERROR");
            assertEquals(expected.code(), error.getInt(12), "error code");
            assertEquals(-1, s.getInputStream().read(), "socket closed after ERROR");
        }
    }

    static Stream<Arguments> badHandshakes() {
        return Stream.of(
                Arguments.of("version 7", TcpRawInjector.header(MAGIC, 7, 1, 0, 1, 64, 0), ProtocolError.BAD_VERSION),
                Arguments.of("WRITE first", TcpRawInjector.header(MAGIC, 1, 2, 0, 0, 0, 0), ProtocolError.BAD_HANDSHAKE),
                Arguments.of("65 counters", TcpRawInjector.header(MAGIC, 1, 1, 0, 1, 64, 65), ProtocolError.BAD_HANDSHAKE),
                Arguments.of("slot size 12", TcpRawInjector.header(MAGIC, 1, 1, 0, 1, 12, 0), ProtocolError.BAD_HANDSHAKE),
                Arguments.of("2000 slots", TcpRawInjector.header(MAGIC, 1, 1, 0, 2000, 64, 0), ProtocolError.BAD_HANDSHAKE),
                Arguments.of("handshake with payload", TcpRawInjector.header(MAGIC, 1, 1, 16, 1, 64, 0), ProtocolError.BAD_LENGTH));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badHandshakes")
    void badHandshakeIsRejectedAndAnswered(String what, byte[] handshake, ProtocolError expected) throws Exception {
        try (Socket s = rawConnect()) {
            s.getOutputStream().write(handshake);
            ProtocolException e = assertThrows(ProtocolException.class, () -> listener.accept(Duration.ofSeconds(10)));
            assertEquals(expected, e.error(), e.getMessage());
            ByteBuffer error = read(s.getInputStream(), 32);
            assertEquals(6, error.get(3), "type ERROR");
            assertEquals(expected.code(), error.getInt(12));
            assertEquals(-1, s.getInputStream().read());
        }
    }

    @Test
    void silentPeerCannotBlockAccept() throws Exception {
        try (Socket silent = rawConnect()) {
            assertTrue(silent.isConnected());
            long start = System.nanoTime();
            ProtocolException e = assertThrows(ProtocolException.class, () -> listener.accept(Duration.ofSeconds(10)));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(ProtocolError.BAD_HANDSHAKE, e.error());
            assertTrue(millis >= 400 && millis < 5_000, "gave up after " + millis + " ms, timeout is 500 ms");
            try (Socket good = rawConnect(); Connection c = establish(good)) {
                assertTrue(c.isOpen());
            }
        }
    }

    @Test
    void connectingToSomethingElseFailsWithAProtocolError() {
        try (var server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread t = Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = server.accept()) {
                    s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\n\r\n".repeat(2).getBytes());
                    s.getInputStream().read();
                } catch (IOException e) {
                    // the client hung up, as it should
                }
            });
            ProtocolException e = assertThrows(ProtocolException.class, () -> transport.connect(
                    "tcp://127.0.0.1:" + server.getLocalPort(), SPEC, Duration.ofSeconds(10)));
            assertEquals(ProtocolError.BAD_MAGIC, e.error(), e.getMessage());
            t.interrupt();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void selectorTimeoutsRoundUpAndNeverOverflow() {
        assertEquals(1, Selectors.ceilMillis(1));
        assertEquals(1, Selectors.ceilMillis(1_000_000));
        assertEquals(2, Selectors.ceilMillis(1_000_001));
        assertEquals(Long.MAX_VALUE / 1_000_000L, Selectors.ceilMillis(Long.MAX_VALUE));
    }

    @Test
    void addressesAreParsedStrictly() {
        for (String bad : new String[] {"127.0.0.1:1", "tcp://127.0.0.1", "tcp://127.0.0.1:99999", "tcp://:5", "shm:/x",
                "tcp://127.0.0.1:5/path"}) {
            assertThrows(org.rfaas.transport.TransportException.class, () -> transport.listen(bad, SPEC).close(), bad);
        }
        assertTrue(listener.address().matches("tcp://127\\.0\\.0\\.1:\\d+"), listener.address());
    }
}
