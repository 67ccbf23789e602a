package org.rfaas.transport.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.CounterScope;
import org.rfaas.transport.Listener;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * The shm side of {@link CounterScope#LISTENER}: the COUNTERS handshake message is validated like
 * every other field, a connector refuses a counters file that is not one of ours, and the counters
 * file lives exactly as long as its listener. (The cross-process hammering is in the conformance
 * kit.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
final class ShmSharedCountersTest {
    private static final long DEADLINE = 10_000_000_000L;
    private static final ConnectionSpec SPEC = new ConnectionSpec(2, 64, 3);

    private Transport transport;
    private Path dir;

    @BeforeEach
    void open() throws IOException {
        transport = Transports.open("shm");
        dir = Files.createTempDirectory("rfaas-shm-counters-test");
    }

    @AfterEach
    void close() throws IOException {
        transport.close();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    @AfterAll
    static void noSharedFileLeft() throws IOException {
        assertEquals(List.of(), myFiles(), "shared files left behind");
    }

    private static List<Path> myFiles() throws IOException {
        String mine = ShmFiles.PREFIX + ProcessHandle.current().pid() + "-";
        try (Stream<Path> files = Files.list(ShmFiles.directory())) {
            return files.filter(p -> p.getFileName().toString().startsWith(mine)).toList();
        }
    }

    @Test
    void countersFileLivesAsLongAsTheListenerAndConnectionsOutliveIt() throws Exception {
        Listener listener = transport.listen("shm:", SPEC, CounterScope.LISTENER);
        List<Path> files = myFiles();
        assertEquals(1, files.size(), "one counters file while listening: " + files);
        assertEquals(ShmLayout.countersFileSize(3), Files.size(files.get(0)));
        CompletableFuture<Connection> client = CompletableFuture.supplyAsync(
                () -> transport.connect(listener.address(), SPEC, Duration.ofSeconds(30)));
        try (Connection server = listener.accept(Duration.ofSeconds(30)); Connection c = client.get(30, TimeUnit.SECONDS)) {
            assertEquals(0L, c.fetchAndAdd(2, 40));
            listener.close();
            assertEquals(List.of(), myFiles(), "the counters file is unlinked when the listener closes");
            // Both mappings stay valid after the unlink.
            assertEquals(40L, c.fetchAndAdd(2, 2));
            assertEquals(42L, server.localCounter(2));
            assertEquals(42L, listener.localCounter(2));
            assertEquals(0L, server.localCounter(0));
        }
        assertEquals(42L, listener.localCounter(2), "readable after the connections closed");
    }

    @Test
    void listenerScopeWithoutCountersCreatesNoFile() throws Exception {
        try (Listener listener = transport.listen("shm:", new ConnectionSpec(1, 64, 0), CounterScope.LISTENER)) {
            assertEquals(List.of(), myFiles());
            assertEquals(CounterScope.LISTENER, listener.counterScope());
            assertThrows(IllegalArgumentException.class, () -> listener.localCounter(0));
        }
    }

    // ------------------------------------------------------------------ decoding

    @Test
    void countersMessageRoundTrips() throws Exception {
        ShmHandshake.Message m = decode(ShmHandshake.counters(7, 4096, "/dev/shm/x"), ShmHandshake.COUNTERS);
        assertEquals(ShmHandshake.COUNTERS, m.type());
        assertEquals(7, m.counters());
        assertEquals(4096, m.mappingSize());
        assertEquals("/dev/shm/x", m.text());
        ShmHandshake.Message w = decode(ShmHandshake.welcome(SPEC, 8192, "/dev/shm/y",
                ShmHandshake.FLAG_SHARED_COUNTERS), ShmHandshake.WELCOME);
        assertEquals(ShmHandshake.FLAG_SHARED_COUNTERS, w.code());
    }

    @Test
    void malformedCountersMessagesAreRejected() {
        expectError(ProtocolError.BAD_FIELD, ShmHandshake.COUNTERS, ShmHandshake.counters(0, 4096, "/dev/shm/x"), b -> { });
        expectError(ProtocolError.BAD_FIELD, ShmHandshake.COUNTERS,
                ShmHandshake.counters(ConnectionSpec.MAX_COUNTERS + 1, 4096, "/dev/shm/x"), b -> { });
        expectError(ProtocolError.BAD_FIELD, ShmHandshake.COUNTERS, ShmHandshake.counters(1, 0, "/dev/shm/x"), b -> { });
        expectError(ProtocolError.BAD_FIELD, ShmHandshake.COUNTERS, ShmHandshake.counters(1, 4096, ""), b -> { });
        expectError(ProtocolError.BAD_FIELD, ShmHandshake.COUNTERS, ShmHandshake.counters(1, 4096, "/dev/shm/x"),
                b -> b.putInt(8, 2)); // slots
        expectError(ProtocolError.BAD_FIELD, ShmHandshake.COUNTERS, ShmHandshake.counters(1, 4096, "/dev/shm/x"),
                b -> b.putInt(20, 5)); // code
        expectError(ProtocolError.BAD_TYPE, ShmHandshake.MAPPED, ShmHandshake.counters(1, 4096, "/dev/shm/x"), b -> { });
        expectError(ProtocolError.BAD_FIELD, ShmHandshake.WELCOME,
                ShmHandshake.welcome(SPEC, 8192, "/dev/shm/y", 2), b -> { }); // unknown flag
        expectError(ProtocolError.BAD_FIELD, ShmHandshake.WELCOME, ShmHandshake.welcome(new ConnectionSpec(1, 64, 0),
                8192, "/dev/shm/y", ShmHandshake.FLAG_SHARED_COUNTERS), b -> { }); // shared, but no counters
    }

    @Test
    void countersFileHeaderIsChecked() throws Exception {
        Path file = ShmFiles.create(ShmLayout.countersFileSize(2));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment map = ShmFiles.map(file, ShmLayout.countersFileSize(2), arena);
            assertEquals(ProtocolError.BAD_MAGIC,
                    assertThrows(ProtocolException.class, () -> ShmLayout.verifyCountersHeader(map, 2)).error());
            ShmLayout.writeCountersHeader(map, 2);
            assertEquals(16, ShmLayout.verifyCountersHeader(map, 2).byteSize());
            assertEquals(ProtocolError.BAD_HANDSHAKE,
                    assertThrows(ProtocolException.class, () -> ShmLayout.verifyCountersHeader(map, 3)).error(),
                    "a counter count that differs from the announcement");
            map.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 3, (byte) 0);
            assertEquals(ProtocolError.BAD_HANDSHAKE,
                    assertThrows(ProtocolException.class, () -> ShmLayout.verifyCountersHeader(map, 2)).error(),
                    "a file that is not a counters file");
        } finally {
            ShmFiles.unlink(file);
        }
        assertEquals(ProtocolError.BAD_HANDSHAKE, assertThrows(ProtocolException.class,
                () -> ShmFiles.mapPeerFile("/etc/passwd", 4096, Arena.ofAuto())).error(),
                "a counters path outside the shm directory");
    }

    // ------------------------------------------------------------------ helpers

    private void expectError(ProtocolError error, int expectedType, ByteBuffer msg, Consumer<ByteBuffer> corrupt) {
        corrupt.accept(msg);
        ProtocolException e = assertThrows(ProtocolException.class, () -> decode(msg, expectedType));
        assertEquals(error, e.error(), e.getMessage());
    }

    /** Sends {@code msg} through a fresh Unix-domain socket pair and decodes it on the other end. */
    private ShmHandshake.Message decode(ByteBuffer msg, int expectedType) throws IOException {
        Path sock = dir.resolve("s" + System.nanoTime());
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            try (SocketChannel out = SocketChannel.open(UnixDomainSocketAddress.of(sock));
                    SocketChannel in = server.accept()) {
                while (msg.hasRemaining()) {
                    out.write(msg);
                }
                in.configureBlocking(false);
                return ShmHandshake.receive(in, expectedType, System.nanoTime() + DEADLINE);
            }
        } finally {
            Files.deleteIfExists(sock);
        }
    }

    @Test
    void connectionScopeListenerHasNoSharedCounters() {
        try (Listener listener = transport.listen("shm:", SPEC)) {
            assertEquals(CounterScope.CONNECTION, listener.counterScope());
            assertThrows(IllegalStateException.class, () -> listener.localCounter(0));
        }
    }
}
