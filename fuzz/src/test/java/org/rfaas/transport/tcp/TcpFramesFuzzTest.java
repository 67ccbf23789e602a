package org.rfaas.transport.tcp;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.rfaas.fuzz.FuzzStats;
import java.util.Map;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolException;

/**
 * The tcp transport's byte stream as a hostile peer may send it: the first 32 bytes as the
 * listener reads a HANDSHAKE, then the whole input through the {@link TcpFrameReader} of an
 * established connection (over a local socket pair, so the reader's real partial-read paths
 * run). Both may only accept or throw {@link ProtocolException} (or {@link PeerFailedException}).
 */
class TcpFramesFuzzTest {
    /** What this side registered: 4 slots of 4 KiB, 2 counters. */
    private static final ConnectionSpec LOCAL = new ConnectionSpec(4, 4096, 2);
    private static final FuzzStats STATS = FuzzStats.of("TcpFramesFuzzTest");
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment header = arena.allocate(Frame.LENGTH, 8);
    /** Per slot: a frame header's place, then the slot (what the reader reads ahead into). */
    private final MemorySegment[] landings = new MemorySegment[LOCAL.slots()];
    private final SocketChannel writer;
    private final SocketChannel reading;

    TcpFramesFuzzTest() {
        for (int s = 0; s < landings.length; s++) {
            landings[s] = arena.allocate(Frame.LENGTH + LOCAL.slotSize(), 64);
        }
        try {
            Path dir = Files.createTempDirectory("rfaas-fuzz-");
            Path sock = dir.resolve("s");
            try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                server.bind(UnixDomainSocketAddress.of(sock));
                writer = SocketChannel.open(UnixDomainSocketAddress.of(sock));
                reading = server.accept();
            }
            reading.configureBlocking(false);
            Files.delete(sock);
            Files.delete(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest
    void frames(byte[] data) throws IOException {
        handshake(data);
        stream(data);
    }

    private void handshake(byte[] data) {
        if (data.length < Frame.LENGTH) {
            return;
        }
        MemorySegment.copy(MemorySegment.ofArray(data), 0, header, 0, Frame.LENGTH);
        Frame frame = new Frame().wrap(header);
        boolean accepted = true;
        try {
            if (frame.validate(LOCAL, "fuzzer") == Frame.HANDSHAKE) {
                frame.handshakeSpec("fuzzer");
            }
        } catch (ProtocolException rejected) {
            accepted = false;
        }
        STATS.count("Frame (handshake)", accepted);
    }

    private void stream(byte[] data) throws IOException {
        if (data.length > 64 << 10) {
            return; // more than the socket buffer: the single-threaded write would block
        }
        writer.write(ByteBuffer.wrap(data));
        try (Arena frameArena = Arena.ofConfined()) {
            TcpFrameReader reader = new TcpFrameReader(reading, LOCAL, "fuzzer", landings, frameArena);
            boolean accepted = true;
            try {
                int r;
                int frames = 0;
                while ((r = reader.next()) != TcpFrameReader.NOTHING && frames++ < 10_000) {
                    if (r == TcpFrameReader.CONTROL && reader.frame().type() == Frame.HANDSHAKE) {
                        reader.frame().handshakeSpec("fuzzer");
                    }
                }
            } catch (ProtocolException | PeerFailedException rejected) {
                accepted = false;
            }
            STATS.count("TcpFrameReader (stream)", accepted);
        }
        drain();
    }

    /** Empties the socket: a rejected stream leaves the bytes after the bad frame unread. */
    private void drain() throws IOException {
        ByteBuffer sink = ByteBuffer.allocate(64 << 10);
        while (reading.read(sink.clear()) > 0) {
            // discard
        }
    }

    /** A HANDSHAKE, a WRITE with its payload, a fetch-and-add request and a CLOSE: where fuzzing starts. */
    static Map<String, byte[]> seeds() {
        MemorySegment b = Arena.ofAuto().allocate(4 * Frame.LENGTH + 16, 8);
        Frame f = new Frame();
        f.wrap(b, 0).put(Frame.HANDSHAKE, 0, 4, 4096, 2);
        f.wrap(b, Frame.LENGTH).put(Frame.WRITE, 16, 1, 77, 0);
        f.wrap(b, 2 * Frame.LENGTH + 16).put(Frame.FAA_REQUEST, 0, 1, 0, 5);
        f.wrap(b, 3 * Frame.LENGTH + 16).put(Frame.CLOSE, 0, 0, 0, 0);
        return Map.of("stream", b.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
    }
}
