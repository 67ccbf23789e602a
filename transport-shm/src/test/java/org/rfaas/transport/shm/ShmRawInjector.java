package org.rfaas.transport.shm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Wire;
import org.rfaas.transport.testkit.Corruption;
import org.rfaas.transport.testkit.RawInjector;

/**
 * A misbehaving shm peer. Handshake corruptions are raw bytes on the Unix-domain socket, built by
 * hand from the layout documented in {@link ShmHandshake} (not with its encoder). Data-path
 * corruptions complete a real handshake, map the shared file and write a bad completion-ring
 * entry straight into the listener's inbox before confirming MAPPED, so the entry is there when
 * the listener's {@code accept} returns.
 */
final class ShmRawInjector implements RawInjector {

    /** The 32-byte fixed part of a handshake message, as ShmHandshake's diagram describes it. */
    static ByteBuffer message(int magic, int version, int type, int length, int slots, int slotSize, int counters) {
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) magic).put((byte) version).put((byte) type).putInt(length)
                .putInt(slots).putInt(slotSize).putInt(counters).putInt(0).putLong(0);
        return b.flip();
    }

    @Override
    public RawPeer inject(String listenerAddress, ConnectionSpec listenerSpec, Corruption corruption, long seed)
            throws Exception {
        switch (corruption) {
            case FRAME_WRONG_MAGIC -> Assumptions.abort("shm completions carry no magic: the data path is a ring of "
                    + "{seq, slot, length, immediate} entries in a mapping whose header (with the magic) is checked at "
                    + "connect; foreign sequence numbers are covered by FRAME_GARBAGE and ShmFailureTest");
            case FRAME_TRUNCATED -> Assumptions.abort("an shm write cannot be truncated: the payload is in the mapping "
                    + "before its completion is published, and a length past the slot is FRAME_OVERSIZED");
            default -> {
            }
        }
        Random random = new Random(seed);
        SocketChannel s = SocketChannel.open(StandardProtocolFamily.UNIX);
        s.connect(UnixDomainSocketAddress.of(ShmTransport.pathOf(listenerAddress, false)));
        ConnectionSpec mine = new ConnectionSpec(1, 64, 0);
        CompletableFuture<Void> handshake = CompletableFuture.completedFuture(null);
        switch (corruption) {
            case HANDSHAKE_WRONG_MAGIC -> writeAll(s, message(0xdead, ShmLayout.VERSION, 1, 32, 1, 64, 0));
            case HANDSHAKE_TRUNCATED -> {
                writeAll(s, message(Wire.MAGIC, ShmLayout.VERSION, 1, 32, 1, 64, 0).limit(13));
                s.shutdownOutput();
            }
            case HANDSHAKE_BAD_SPEC -> writeAll(s, message(Wire.MAGIC, ShmLayout.VERSION, 1, 32, 0, 64, 0));
            case HANDSHAKE_GARBAGE -> {
                byte[] junk = new byte[256];
                random.nextBytes(junk);
                writeAll(s, ByteBuffer.wrap(junk));
            }
            // The listener answers only inside accept(), which the test calls after we return.
            default -> handshake = CompletableFuture.runAsync(() -> corruptAfterHandshake(s, mine, listenerSpec,
                    corruption, random));
        }
        CompletableFuture<Void> done = handshake;
        return new RawPeer() {
            @Override
            public boolean awaitClosedByListener(Duration timeout) throws Exception {
                done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                long deadline = System.nanoTime() + timeout.toNanos();
                s.configureBlocking(false);
                ByteBuffer sink = ByteBuffer.allocate(4096);
                while (System.nanoTime() < deadline) {
                    sink.clear();
                    try {
                        if (s.read(sink) < 0) {
                            return true;
                        }
                    } catch (IOException e) {
                        return true;
                    }
                    Thread.sleep(10);
                }
                return false;
            }

            @Override
            public void close() throws IOException {
                s.close();
            }
        };
    }

    private static void corruptAfterHandshake(SocketChannel s, ConnectionSpec mine, ConnectionSpec listenerSpec,
            Corruption corruption, Random random) {
        try {
            writeAll(s, message(Wire.MAGIC, ShmLayout.VERSION, 1, 32, mine.slots(), mine.slotSize(), mine.counters()));
            ByteBuffer fixed = readFully(s, 32);
            if (fixed.getShort(0) != Wire.MAGIC || fixed.get(3) != 2) {
                throw new IllegalStateException("expected WELCOME, got type " + fixed.get(3));
            }
            int length = fixed.getInt(4);
            long size = fixed.getLong(24);
            String path = new String(readFully(s, length - 32).array(), StandardCharsets.UTF_8);
            ShmLayout layout = ShmLayout.of(listenerSpec, mine);
            ShmLayout.Inbox victim = layout.inbox(0);
            try (Arena arena = Arena.ofConfined();
                    FileChannel f = FileChannel.open(Path.of(path), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                MemorySegment map = f.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
                long entry = victim.ringOffset();
                int slot = 0;
                int bytes = 8;
                int seq = 1;
                switch (corruption) {
                    case FRAME_OVERSIZED -> bytes = victim.spec().slotSize() + 8;
                    case FRAME_BAD_SLOT -> slot = victim.spec().slots();
                    case FRAME_GARBAGE -> {
                        slot = random.nextInt();
                        bytes = random.nextInt();
                        seq = 2 + random.nextInt(Integer.MAX_VALUE - 2); // neither "empty" (0) nor "ready" (1)
                    }
                    default -> throw new IllegalArgumentException(corruption.toString());
                }
                map.set(Wire.INT, entry + ShmLayout.ENTRY_SLOT, slot);
                map.set(Wire.INT, entry + ShmLayout.ENTRY_LENGTH, bytes);
                map.set(Wire.INT, entry + ShmLayout.ENTRY_IMMEDIATE, 0xbad);
                map.set(Wire.INT, entry + ShmLayout.ENTRY_SEQ, seq);
            }
            writeAll(s, message(Wire.MAGIC, ShmLayout.VERSION, 3, 32, 0, 0, 0));
        } catch (IOException e) {
            throw new IllegalStateException("raw shm handshake failed: " + e, e);
        }
    }

    private static void writeAll(SocketChannel s, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            s.write(b);
        }
    }

    private static ByteBuffer readFully(SocketChannel s, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (s.read(b) < 0) {
                throw new IOException("listener closed the socket during the handshake");
            }
        }
        return b.flip();
    }
}
