package org.rfaas.transport.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.Wire;

/**
 * Failures of the shm provider between two OS processes: a SIGKILLed or exiting peer, corrupt
 * entries written into the mapping by a misbehaving child, malformed handshakes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
final class ShmFailureTest extends ShmChildTestSupport {

    @Test
    void sigkilledPeerIsReportedWithinTwoSeconds() throws Exception {
        Connection c = acceptChild(new ConnectionSpec(2, 64, 1), "hang", "$ADDR");
        assertEquals(ShmPeer.READY, next(c).immediate());
        CompletableFuture<Throwable> warm = CompletableFuture.supplyAsync(() -> {
            try {
                c.await(new Completion(), 30 * SECOND);
                return null;
            } catch (Throwable e) {
                return e;
            }
        });
        Thread.sleep(300);
        long killedAt = System.nanoTime();
        child.process.destroyForcibly(); // SIGKILL on Linux
        Throwable e = warm.get(5, TimeUnit.SECONDS);
        long noticed = System.nanoTime() - killedAt;
        assertTrue(e instanceof PeerFailedException, "await ended with " + e);
        assertTrue(noticed < 2 * SECOND, "noticed after " + noticed / 1e6 + " ms");
        assertThrows(PeerFailedException.class, () -> c.poll(new Completion()));
        assertThrows(PeerFailedException.class, () -> c.write(0, c.allocateBuffer(8), 0, 8, 0));
        assertThrows(PeerFailedException.class, () -> c.fetchAndAdd(0, 1));
        assertFalse(c.isOpen());
        c.close();
    }

    @Test
    void messagesWrittenBeforeThePeerDiedAreDeliveredFirst() throws Exception {
        Connection c = acceptChild(new ConnectionSpec(2, 64, 1), "burst-exit", "$ADDR", "3");
        assertEquals(0, child.waitFor(20));
        long end = System.nanoTime() + 10 * SECOND;
        while (c.isOpen()) {
            assertTrue(System.nanoTime() < end, "the peer's exit was not noticed");
            Thread.sleep(5);
        }
        Completion done = new Completion();
        for (int i = 0; i < 3; i++) {
            assertTrue(c.poll(done), "message " + i);
            assertEquals(i, done.immediate());
        }
        assertThrows(PeerFailedException.class, () -> c.poll(done));
        assertThrows(PeerFailedException.class, () -> c.await(done, SECOND));
    }

    @Test
    void sigkilledListenerIsReportedToAHotPoller() throws Exception {
        child = Child.start(ShmPeer.class, "listen-hang");
        String address = child.expect("ADDRESS ", 30).substring("ADDRESS ".length());
        Connection c = transport.connect(address, new ConnectionSpec(2, 64, 1), Duration.ofSeconds(30));
        Completion done = new Completion();
        assertEquals(ShmPeer.READY, next(c).immediate());
        child.process.destroyForcibly();
        long killedAt = System.nanoTime();
        PeerFailedException e = assertThrows(PeerFailedException.class, () -> {
            while (System.nanoTime() - killedAt < 10 * SECOND) {
                c.poll(done);
            }
        });
        assertTrue(System.nanoTime() - killedAt < 2 * SECOND, "noticed late: " + e);
        c.close();
        // A SIGKILLed listener cannot remove its socket file and private directory: do it for it.
        Path socket = ShmTransport.pathOf(address, false);
        Files.deleteIfExists(socket);
        Files.deleteIfExists(socket.getParent());
    }

    private ProtocolException corruptedBy(String kind) throws Exception {
        return corruptedBy(kind, false);
    }

    private ProtocolException corruptedBy(String kind, boolean thenServeAnother) throws Exception {
        Connection c = acceptChild(new ConnectionSpec(2, 64, 1), "corrupt", "$ADDR", kind);
        Completion done = new Completion();
        ProtocolException e = assertThrows(ProtocolException.class, () -> {
            long end = System.nanoTime() + 10 * SECOND;
            while (System.nanoTime() < end) {
                c.poll(done);
            }
        });
        assertFalse(c.isOpen(), "a connection that delivered garbage stays closed");
        assertThrows(TransportException.class, () -> c.poll(done));
        assertEquals(0, child.waitFor(20), "the child sees the connection closed");
        if (!thenServeAnother) {
            return e;
        }
        // The listener keeps serving.
        child = Child.start(ShmPeer.class, "hang", listener.address());
        Connection next = listener.accept(ACCEPT);
        assertEquals(ShmPeer.READY, next(next).immediate());
        return e;
    }

    @Test
    void ringEntryNamingASlotOutOfRangeIsRejected() throws Exception {
        ProtocolException e = corruptedBy("bad-slot", true);
        assertEquals(ProtocolError.BAD_INDEX, e.error(), e.getMessage());
    }

    @Test
    void ringEntryWithNegativeSlotIsRejected() throws Exception {
        assertEquals(ProtocolError.BAD_INDEX, corruptedBy("negative-slot").error());
    }

    @Test
    void ringEntryLongerThanTheSlotIsRejected() throws Exception {
        ProtocolException e = corruptedBy("oversized");
        assertEquals(ProtocolError.OVERSIZED, e.error(), e.getMessage());
    }

    @Test
    void ringEntryWithAForeignSequenceIsRejected() throws Exception {
        assertEquals(ProtocolError.BAD_FIELD, corruptedBy("bad-seq").error());
    }

    @Test
    void ringEntryAcknowledgingEntriesNeverWrittenIsRejected() throws Exception {
        ProtocolException e = corruptedBy("bad-ack");
        assertEquals(ProtocolError.BAD_FIELD, e.error(), e.getMessage());
        assertTrue(e.getMessage().contains("acknowledges consumer position " + (1L << 40)), e.getMessage());
    }

    @Test
    void corruptConsumerPositionIsRejectedByTheWriter() throws Exception {
        Connection c = acceptChild(new ConnectionSpec(2, 64, 1), "corrupt", "$ADDR", "bad-consumer");
        MemorySegment buf = c.allocateBuffer(8);
        // The writer only looks at the consumer position when its cached view says the ring is full.
        ProtocolException e = assertThrows(ProtocolException.class, () -> {
            for (int i = 0; i < 10_000; i++) {
                c.write(0, buf, 0, 8, i);
            }
        });
        assertEquals(ProtocolError.BAD_FIELD, e.error(), e.getMessage());
        assertFalse(c.isOpen());
    }

    private static ByteBuffer handshake(short magic, byte version, byte type, int length, int slots, int slotSize) {
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(magic).put(version).put(type).putInt(length).putInt(slots).putInt(slotSize).putInt(1)
                .putInt(0).putLong(0);
        return b.flip();
    }

    private ProtocolError garbageHandshake(ByteBuffer bytes, boolean closeAfter) throws Exception {
        try (SocketChannel s = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.connect(UnixDomainSocketAddress.of(ShmTransport.pathOf(listener.address(), false)));
            s.write(bytes);
            if (closeAfter) {
                s.shutdownOutput();
            }
            ProtocolException e = assertThrows(ProtocolException.class, () -> listener.accept(ACCEPT));
            return e.error();
        }
    }

    @Test
    void malformedHandshakesAreTypedErrorsAndTheListenerKeepsServing() throws Exception {
        listener = transport.listen("shm:", new ConnectionSpec(2, 64, 1));
        byte v = ShmLayout.VERSION;
        assertEquals(ProtocolError.BAD_MAGIC, garbageHandshake(handshake((short) 0x1234, v, (byte) 1, 32, 2, 64), false));
        assertEquals(ProtocolError.BAD_VERSION, garbageHandshake(handshake(Wire.MAGIC, (byte) 99, (byte) 1, 32, 2, 64), false));
        assertEquals(ProtocolError.BAD_TYPE, garbageHandshake(handshake(Wire.MAGIC, v, (byte) 3, 32, 2, 64), false));
        assertEquals(ProtocolError.BAD_LENGTH, garbageHandshake(handshake(Wire.MAGIC, v, (byte) 1, 1 << 30, 2, 64), false));
        assertEquals(ProtocolError.BAD_HANDSHAKE, garbageHandshake(handshake(Wire.MAGIC, v, (byte) 1, 32, 0, 64), false));
        assertEquals(ProtocolError.BAD_HANDSHAKE, garbageHandshake(handshake(Wire.MAGIC, v, (byte) 1, 32, 2, 63), false));
        assertEquals(ProtocolError.TRUNCATED, garbageHandshake(handshake(Wire.MAGIC, v, (byte) 1, 32, 2, 64).limit(20), true));
        byte[] noise = new byte[64];
        new Random(7).nextBytes(noise);
        noise[0] = 0;
        assertEquals(ProtocolError.BAD_MAGIC, garbageHandshake(ByteBuffer.wrap(noise), false));
        // A real peer (another process) still gets through.
        child = Child.start(ShmPeer.class, "hang", listener.address());
        Connection c = listener.accept(ACCEPT);
        assertEquals(ShmPeer.READY, next(c).immediate());
    }
}
