package org.rfaas.transport.fabric;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * Round trips, fetch-and-add, peer death and bad handshakes between this JVM and a
 * {@link FabricPeer} child process, for one provider and data path (see the subclasses).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 40, unit = TimeUnit.SECONDS)
abstract class FabricTwoProcessTests {
    private Transport transport;
    private PeerProcess peer;
    private Connection conn;
    private MemorySegment buf;
    private final Completion cp = new Completion();

    /** The transport name, e.g. {@code fabric:tcp}. */
    abstract String transportName();

    /** {@code key=value} system properties forced in both processes. */
    String[] properties() {
        return new String[0];
    }

    /** The data path this configuration must end up using. */
    abstract FabricCapabilities.DataMode expectedMode();

    abstract boolean expectNativeAtomics();

    @BeforeAll
    void openTransport() {
        for (String p : properties()) {
            String[] kv = p.split("=", 2);
            System.setProperty(kv[0], kv[1]);
        }
        transport = Transports.open(transportName());
    }

    @AfterAll
    void closeTransport() {
        if (transport != null) {
            transport.close();
        }
        for (String p : properties()) {
            System.clearProperty(p.split("=", 2)[0]);
        }
        // The peers these tests killed left their shm regions; the product sweeps them at the next
        // fabric:shm open, which may not come in this build.
        StaleShmRegions.sweep(StaleShmRegions.DEV_SHM);
    }

    @BeforeEach
    void startPeer() throws Exception {
        peer = new PeerProcess(transportName(), properties());
        conn = transport.connect(peer.address, FabricPeer.SPEC, Duration.ofSeconds(20));
        buf = conn.allocateBuffer(FabricPeer.SPEC.slotSize());
    }

    @AfterEach
    void stopPeer() throws Exception {
        try {
            if (conn != null && conn.isOpen()) {
                conn.write(0, buf, 0, 0, FabricPeer.STOP);
            }
        } catch (RuntimeException ignored) {
            // the test may have killed the peer
        } finally {
            if (conn != null) {
                conn.close();
            }
            peer.close();
        }
    }

    private Completion awaitReply() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!conn.await(cp, 50_000_000L)) {
            if (System.nanoTime() > deadline) {
                fail("no reply within 30 s");
            }
        }
        return cp;
    }

    @Test
    void usesTheDetectedDataPath() {
        FabricConnection fc = (FabricConnection) conn;
        assertEquals(expectedMode(), fc.capabilities().mode());
        assertEquals(expectNativeAtomics(), fc.capabilities().nativeFetchAdd());
        assertEquals(FabricPeer.SPEC, conn.peerSpec());
    }

    @Test
    void byteExactRoundTripsFromEmptyToSixteenMebibytes() {
        Random random = new Random(42);
        int[] sizes = {0, 1, 64, 4096, 65536, 1 << 20, (4 << 20) + 3, 16 << 20};
        int imm = 100;
        for (int size : sizes) {
            byte[] data = new byte[size];
            random.nextBytes(data);
            MemorySegment.copy(MemorySegment.ofArray(data), 0, buf, 0, size);
            int slot = size % FabricPeer.SPEC.slots();
            conn.write(slot, buf, 0, size, imm);
            Completion c = awaitReply();
            assertEquals(slot, c.slot(), "slot at " + size + " B");
            assertEquals(size, c.length(), "length at " + size + " B");
            assertEquals(imm + 1, c.immediate(), "immediate at " + size + " B");
            assertEquals(-1, conn.receiveSlot(slot).asSlice(0, size).mismatch(MemorySegment.ofArray(data)),
                    "payload differs at " + size + " B");
            conn.release(slot);
            imm += 7;
        }
    }

    @Test
    void thousandMessagesWithSeveralOutstanding() {
        int slots = FabricPeer.SPEC.slots();
        int total = 1000;
        int sent = 0;
        int received = 0;
        long expectedSum = 0;
        long sum = 0;
        while (sent < slots) {
            buf.set(ValueLayout.JAVA_INT_UNALIGNED, 64L * sent, sent);
            conn.write(sent, buf, 64L * sent, 4, sent);
            expectedSum += sent + 1;
            sent++;
        }
        while (received < total) {
            Completion c = awaitReply();
            int value = conn.receiveSlot(c.slot()).get(ValueLayout.JAVA_INT_UNALIGNED, 0);
            assertEquals(c.immediate() - 1, value, "echoed payload matches its immediate");
            sum += c.immediate();
            received++;
            int slot = c.slot();
            conn.release(slot);
            if (sent < total) {
                buf.set(ValueLayout.JAVA_INT_UNALIGNED, 64L * slot, sent);
                conn.write(slot, buf, 64L * slot, 4, sent);
                expectedSum += sent + 1;
                sent++;
            }
        }
        assertEquals(expectedSum, sum);
    }

    @Test
    void fetchAndAddBothWays() {
        int n = 300;
        for (int i = 0; i < n; i++) {
            assertEquals(i, conn.fetchAndAdd(0, 1), "previous value of the peer's counter");
        }
        conn.fetchAndAdd(1, -5);
        conn.write(0, buf, 0, 0, FabricPeer.FAA | n);
        Completion c = awaitReply();
        assertEquals(FabricPeer.FAA | n, c.immediate());
        assertEquals(n, conn.receiveSlot(c.slot()).get(ValueLayout.JAVA_LONG_UNALIGNED, 0),
                "the peer saw all our adds on its counter 0");
        conn.release(c.slot());
        assertEquals(n, conn.localCounter(0), "the peer's adds on our counter 0");
        assertEquals(0, conn.localCounter(1));
    }

    @Test
    void invalidArgumentsAreRejectedLocally() {
        assertThrows(IllegalArgumentException.class, () -> conn.write(FabricPeer.SPEC.slots(), buf, 0, 8, 0));
        assertThrows(IllegalArgumentException.class,
                () -> conn.write(0, buf, 0, FabricPeer.SPEC.slotSize() + 8, 0));
        assertThrows(IllegalArgumentException.class, () -> conn.fetchAndAdd(FabricPeer.SPEC.counters(), 1));
        assertThrows(IllegalArgumentException.class, () -> conn.receiveSlot(-1));
        assertTrue(conn.isOpen());
    }

    @Test
    void killedPeerIsReportedWithinTwoSeconds() throws Exception {
        conn.write(1, buf, 0, 8, 1);
        awaitReply();
        conn.release(cp.slot());
        peer.process.destroyForcibly();
        long start = System.nanoTime();
        PeerFailedException e = assertThrows(PeerFailedException.class, () -> {
            while (true) {
                conn.await(cp, 20_000_000L);
            }
        });
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(ms < 2000, "failure noticed after " + ms + " ms: " + e.getMessage());
        assertTrue(!conn.isOpen());
        assertThrows(PeerFailedException.class, () -> conn.write(0, buf, 0, 8, 0));
    }

    @Test
    void aConnectionToAKilledShmPeerFreesItsRegionWhenClosed() throws Exception {
        assumeTrue(transportName().equals("fabric:shm"),
                "only libfabric's shm provider keeps an endpoint in a /dev/shm file");
        Set<String> before = ownShmRegions();
        conn.write(1, buf, 0, 8, 1);
        awaitReply();
        conn.release(cp.slot());
        peer.process.destroyForcibly();
        assertThrows(PeerFailedException.class, () -> {
            while (true) {
                conn.await(cp, 20_000_000L);
            }
        });
        conn.close();
        Set<String> freed = new HashSet<>(before);
        freed.removeAll(ownShmRegions()); // the endpoint pool may have added one meanwhile
        assertFalse(freed.isEmpty(), "closing the failed connection freed none of " + before);
    }

    /** This JVM's libfabric shm regions, /dev/shm/{@code <pid>:<n>:<n>}. */
    private static Set<String> ownShmRegions() throws IOException {
        String prefix = ProcessHandle.current().pid() + ":";
        try (Stream<Path> files = Files.list(StaleShmRegions.DEV_SHM)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(prefix))
                    .collect(Collectors.toSet());
        }
    }

    @Test
    void hotPollingSeesTheReplyToo() {
        conn.write(2, buf, 0, 8, 5);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!conn.poll(cp)) {
            assertTrue(System.nanoTime() < deadline, "no reply within 30 s");
        }
        assertEquals(6, cp.immediate());
        conn.release(cp.slot());
    }

    @Test
    void malformedHandshakesAreRejectedAndTheListenerKeepsServing() throws Exception {
        ConnectionSpec spec = new ConnectionSpec(2, 64, 1);
        try (Listener l = transport.listen(transportName() + "://127.0.0.1:0", spec)) {
            InetSocketAddress where = ((FabricTransport) transport).parse(l.address());
            byte[] garbage = new byte[100];
            new Random(7).nextBytes(garbage);
            byte[] wrongVersion = new byte[Hello.HEADER];
            wrongVersion[0] = 0x52;
            wrongVersion[1] = 0x46;
            wrongVersion[2] = 99;
            byte[] oversized = validHeaderWithLength(1 << 30);
            byte[] truncated = validHeaderWithLength(Hello.HEADER + 10);
            expectRejected(l, where, garbage, ProtocolError.BAD_MAGIC, false);
            expectRejected(l, where, wrongVersion, ProtocolError.BAD_VERSION, false);
            expectRejected(l, where, oversized, ProtocolError.OVERSIZED, false);
            expectRejected(l, where, truncated, ProtocolError.TRUNCATED, true);
            assertStillServes(l, spec);
        }
    }

    /**
     * A connector whose process dies (or stops progressing) after the HELLO/WELCOME exchange, while
     * the listener waits in the warm-up for its first message: the listener notices on the
     * out-of-band socket at once, fails only that handshake with a {@link ProtocolException} (the
     * listener's contract for a peer's handshake failing), and keeps serving. ofi_rxm alone would
     * answer -FI_EAGAIN for the whole warm-up timeout (10 s), and the allocation that was accepting
     * the connection then failed with that instead of the executor's reason.
     */
    @Test
    void aConnectorThatGoesAwayDuringTheWarmUpFailsOnlyItsHandshakeAndAtOnce() throws Exception {
        ConnectionSpec spec = new ConnectionSpec(2, 64, 1);
        try (Listener l = transport.listen(transportName() + "://127.0.0.1:0", spec);
                java.net.ServerSocket decoy = new java.net.ServerSocket(0, 1,
                        java.net.InetAddress.getByName("127.0.0.1"))) {
            // A real HELLO naming a live endpoint that nobody will progress: a connector that
            // talks to the decoy, which reads its HELLO and never answers. (Own threads: the
            // common pool has a single worker on a 2-CPU machine.)
            java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(2);
            CompletableFuture<Connection> stuck = CompletableFuture.supplyAsync(() -> transport.connect(
                    transportName() + "://127.0.0.1:" + decoy.getLocalPort(), spec, Duration.ofSeconds(20)), threads);
            byte[] hello;
            try (Socket fromConnector = decoy.accept()) {
                hello = readHelloBytes(fromConnector);
                InetSocketAddress where = ((FabricTransport) transport).parse(l.address());
                CompletableFuture<Void> rawPeer = CompletableFuture.runAsync(() -> {
                    try (Socket s = new Socket()) {
                        s.connect(where, 5000);
                        s.getOutputStream().write(hello);
                        s.getOutputStream().flush();
                        readHelloBytes(s); // the WELCOME: the listener is in its warm-up now
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, threads);
                long start = System.nanoTime();
                ProtocolException e = assertThrows(ProtocolException.class, () -> l.accept(Duration.ofSeconds(30)));
                long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertEquals(ProtocolError.TRUNCATED, e.error(), e.getMessage());
                assertTrue(tookMs < 5_000, "the handshake failed after " + tookMs + " ms: " + e.getMessage());
                rawPeer.get(10, TimeUnit.SECONDS);
            }
            assertThrows(java.util.concurrent.ExecutionException.class, () -> stuck.get(30, TimeUnit.SECONDS),
                    "a connector whose listener vanished must fail");
            threads.shutdown();
            assertStillServes(l, spec);
        }
    }

    private static byte[] readHelloBytes(Socket s) throws java.io.IOException {
        java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
        byte[] header = new byte[Hello.HEADER];
        in.readFully(header);
        int length = MemorySegment.ofArray(header).get(org.rfaas.transport.Wire.INT, 4);
        assertTrue(length >= Hello.HEADER && length <= Hello.MAX_LENGTH, "hello length " + length);
        byte[] all = java.util.Arrays.copyOf(header, length);
        in.readFully(all, Hello.HEADER, length - Hello.HEADER);
        return all;
    }

    private void assertStillServes(Listener l, ConnectionSpec spec) throws Exception {
        CompletableFuture<Connection> client = CompletableFuture.supplyAsync(
                () -> transport.connect(l.address(), spec, Duration.ofSeconds(20)));
        Connection server = l.accept(Duration.ofSeconds(20));
        assertNotNull(server, "the listener still accepts a well-formed connection");
        try (Connection c = client.get(30, TimeUnit.SECONDS); server) {
            MemorySegment b = c.allocateBuffer(64);
            b.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 0x1234_5678_9ABCL);
            c.write(1, b, 0, 8, 77);
            Completion got = new Completion();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!server.poll(got)) {
                assertTrue(System.nanoTime() < deadline);
            }
            assertEquals(77, got.immediate());
            assertEquals(0x1234_5678_9ABCL, server.receiveSlot(1).get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        }
    }

    private static byte[] validHeaderWithLength(int length) {
        byte[] b = new byte[Hello.HEADER];
        MemorySegment s = MemorySegment.ofArray(b);
        s.set(org.rfaas.transport.Wire.SHORT, 0, org.rfaas.transport.Wire.MAGIC);
        b[2] = org.rfaas.transport.Wire.VERSION;
        b[3] = Hello.TYPE_HELLO;
        s.set(org.rfaas.transport.Wire.INT, 4, length);
        s.set(org.rfaas.transport.Wire.SHORT, 28, (short) 10);
        return b;
    }

    private static void expectRejected(Listener l, InetSocketAddress where, byte[] bytes, ProtocolError error,
            boolean closeAfterSending) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(where, 5000);
            OutputStream out = s.getOutputStream();
            out.write(bytes);
            out.flush();
            if (closeAfterSending) {
                s.shutdownOutput();
            }
            ProtocolException e = assertThrows(ProtocolException.class, () -> l.accept(Duration.ofSeconds(10)));
            assertEquals(error, e.error(), e.getMessage());
        }
    }
}
