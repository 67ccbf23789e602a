package org.rfaas.transport.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.ProtocolException;

/**
 * The listener makes the next peer's shared file while {@code accept} waits, and the next HELLO of
 * that size is answered with it; a HELLO of another size gets its own file; nothing is left once
 * the listener closes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ShmPreparedFileTest {
    private static final ConnectionSpec SPEC = new ConnectionSpec(2, 4096, 0);
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final ShmTransport transport = new ShmTransport();
    private final Listener listener = transport.listen("shm:", SPEC);

    @AfterEach
    void close() {
        listener.close();
        transport.close();
    }

    @Test
    void theFileMadeWhileAcceptWaitedAnswersTheNextHelloAndWorks() throws Exception {
        Pair first = connectAndAccept(SPEC);
        assertEquals(List.of(), ownFiles(), "a connection's file outlived its handshake");
        assertNull(listener.accept(Duration.ofMillis(20)));
        List<Path> prepared = ownFiles();
        assertEquals(1, prepared.size(), "no file made while accept waited: " + prepared);

        // A HELLO of the same spec is answered with that very file.
        CompletableFuture<Connection> accepting = CompletableFuture.supplyAsync(() -> listener.accept(WAIT));
        try (SocketChannel raw = rawConnector()) {
            ShmHandshake.send(raw, ShmHandshake.hello(SPEC), System.nanoTime() + WAIT.toNanos());
            ShmHandshake.Message welcome = ShmHandshake.receive(raw, ShmHandshake.WELCOME,
                    System.nanoTime() + WAIT.toNanos());
            assertEquals(prepared.getFirst().toString(), welcome.text());
        }
        // The raw peer hung up before MAPPED: its handshake fails, and the file goes with it.
        ExecutionException failed = assertThrows(ExecutionException.class, () -> accepting.get(10, TimeUnit.SECONDS));
        assertInstanceOf(ProtocolException.class, failed.getCause());
        assertEquals(List.of(), ownFiles());

        // A real connection over a prepared file carries data both ways.
        assertNull(listener.accept(Duration.ofMillis(20)));
        assertEquals(1, ownFiles().size());
        Pair second = connectAndAccept(SPEC);
        assertEquals(List.of(), ownFiles());
        roundTrip(second.peer, second.local);
        first.close();
        second.close();
    }

    @Test
    void aHelloOfAnotherSizeGetsItsOwnFileAndNothingIsLeftAtClose() throws Exception {
        Pair first = connectAndAccept(SPEC);
        assertNull(listener.accept(Duration.ofMillis(20)));
        List<Path> prepared = ownFiles();
        assertEquals(1, prepared.size());

        Pair bigger = connectAndAccept(new ConnectionSpec(4, 64 * 1024, 0));
        assertTrue(Files.notExists(prepared.getFirst()), "the prepared file of another size was kept");
        roundTrip(bigger.peer, bigger.local);
        // The next file ahead has the last connection's size.
        assertNull(listener.accept(Duration.ofMillis(20)));
        assertEquals(1, ownFiles().size());
        listener.close();
        assertEquals(List.of(), ownFiles(), "the listener left its prepared file behind");
        first.close();
        bigger.close();
    }

    /** Both ends of one connection: the connector's ({@code peer}) and the listener's ({@code local}). */
    private record Pair(Connection peer, Connection local) {
        void close() {
            peer.close();
            local.close();
        }
    }

    private Pair connectAndAccept(ConnectionSpec spec) throws Exception {
        CompletableFuture<Connection> connecting = CompletableFuture.supplyAsync(
                () -> transport.connect(listener.address(), spec, WAIT));
        Connection accepted = null;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (accepted == null && System.nanoTime() < deadline) {
            accepted = listener.accept(Duration.ofMillis(100));
        }
        assertNotNull(accepted, "no connection accepted");
        return new Pair(connecting.get(10, TimeUnit.SECONDS), accepted);
    }

    /** One message each way through the shared file. */
    private static void roundTrip(Connection a, Connection b) {
        MemorySegment buf = a.allocateBuffer(8);
        buf.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 0x1234_5678_9abcL);
        a.write(0, buf, 0, 8, 7);
        Completion c = new Completion();
        assertTrue(b.await(c, WAIT.toNanos()));
        assertEquals(0x1234_5678_9abcL, b.receiveSlot(c.slot()).get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        b.release(c.slot());
        MemorySegment back = b.allocateBuffer(8);
        back.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 42);
        b.write(1, back, 0, 8, 8);
        assertTrue(a.await(c, WAIT.toNanos()));
        assertEquals(42, a.receiveSlot(c.slot()).get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        a.release(c.slot());
    }

    private SocketChannel rawConnector() throws IOException {
        SocketChannel s = SocketChannel.open(StandardProtocolFamily.UNIX);
        s.connect(UnixDomainSocketAddress.of(ShmTransport.pathOf(listener.address(), false)));
        s.configureBlocking(false);
        return s;
    }

    /** This process's shared files. */
    private static List<Path> ownFiles() throws IOException {
        String mine = ShmFiles.PREFIX + ProcessHandle.current().pid() + "-";
        try (Stream<Path> files = Files.list(ShmFiles.directory())) {
            return files.filter(p -> p.getFileName().toString().startsWith(mine)).toList();
        }
    }
}
