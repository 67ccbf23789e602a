package org.rfaas.transport.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.CounterScope;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Liveness;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.Transports;

/**
 * The conformance suite every transport provider passes. A provider module subclasses it in its
 * own tests and names the transport:
 *
 * <pre>{@code
 * class TcpConformanceTest extends TransportConformanceTest {
 *     protected String transportName() { return "tcp"; }
 *     protected String listenAddress() { return "tcp://127.0.0.1:0"; }
 *     protected RawInjector rawInjector() { return new TcpRawInjector(); }
 * }
 * }</pre>
 *
 * <p>Data-path tests run between this JVM and a child JVM ({@link PeerMain} started through
 * {@link PeerProcess}), so they cross a real process boundary; API-semantics tests use two
 * connections inside this JVM. A subclass that cannot support one test overrides it, repeats its
 * JUnit annotation and calls {@link org.junit.jupiter.api.Assumptions#abort(String)} with the
 * reason; individual malformed-input cases are skipped by the {@link RawInjector} the same way.
 *
 * <p>Timeouts are generous (the machines are small and shared); no test depends on a latency
 * number except the failure-detection bound the SPI promises ({@link #failureDetectionLimit()}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
public abstract class TransportConformanceTest {

    /** Payload sizes of the byte-exact round trips: 0 B to 16 MiB. */
    public static final int[] ROUND_TRIP_SIZES = {0, 1, 64, 4 << 10, 64 << 10, 1 << 20, 16 << 20};

    /** How the side under test waits for completions. */
    public enum ReceiveMode {
        /** Busy-polling with {@link Connection#poll}. */
        HOT,
        /** Sleeping in {@link Connection#await}. */
        WARM
    }

    /**
     * Generous bound for anything that involves starting a JVM: at a load average of 200 (seen on
     * the shared 2-core machines) a JVM start takes over a minute. Bounds catch hangs, not slowness.
     */
    protected static final Duration PEER_START = Duration.ofSeconds(120);
    /** Generous bound for a single message to arrive. */
    protected static final Duration MESSAGE_TIMEOUT = Duration.ofSeconds(60);

    private static final ConnectionSpec ROUND_TRIP_SPEC = new ConnectionSpec(2, 16 << 20, 1);
    private static final ConnectionSpec WINDOW_SPEC = new ConnectionSpec(16, 4096, 1);
    private static final ConnectionSpec SMALL_SPEC = new ConnectionSpec(4, 4096, 2);
    private static final int WINDOW = 8;
    private static final int WINDOW_MESSAGES = 1_000;
    private static final int FAA_PER_WRITER = 2_000;
    /** Additions per writer process on the listener's shared counter. */
    private static final int SHARED_FAA_PER_WRITER = 5_000;

    private Transport transport;
    private final Map<String, EchoSession> echoes = new LinkedHashMap<>();

    // ------------------------------------------------------------------ hooks

    /** The transport under test, as passed to {@link Transports#open}: {@code tcp}, {@code fabric:tcp}, … */
    protected abstract String transportName();

    /** A fresh address to listen on (port 0, a unique path, …); called once per listener. */
    protected abstract String listenAddress();

    /** Produces malformed input for this provider; see {@link RawInjector}. */
    protected abstract RawInjector rawInjector();

    /** Extra JVM options for the child peers (system properties, library paths). */
    protected List<String> peerJvmOptions() {
        return List.of();
    }

    /**
     * Whether the provider implements {@link CounterScope#LISTENER}. A provider that returns
     * {@code false} must throw {@link UnsupportedOperationException} from
     * {@code listen(address, spec, LISTENER)}, which the kit checks before it skips the
     * shared-counter tests.
     */
    protected boolean supportsListenerCounters() {
        return true;
    }

    /**
     * Whether connections detect a peer that falls silent without closing anything (frozen host,
     * cut link; see {@link org.rfaas.transport.Liveness}). Same-host providers may return
     * {@code false}: their peers cannot lose a link.
     */
    protected boolean detectsSilentPeers() {
        return true;
    }

    /**
     * The bound within which a silent peer must be lost: the default liveness timeout plus one
     * heartbeat interval, plus a margin for a loaded machine.
     */
    protected Duration silentPeerDetectionLimit() {
        return Liveness.DEFAULT_TIMEOUT.plus(Liveness.DEFAULT_HEARTBEAT_INTERVAL).plusMillis(750);
    }

    /** The bound within which a dead peer must be reported. The SPI promises 2 s. */
    protected Duration failureDetectionLimit() {
        return Duration.ofSeconds(2);
    }

    // ------------------------------------------------------------------ lifecycle

    @BeforeAll
    final void openTransport() {
        transport = Transports.open(transportName());
        assertEquals(transportName(), transport.name(), "Transport.name() must echo the name it was opened with");
    }

    @AfterAll
    final void closeEverything() throws Exception {
        for (EchoSession s : echoes.values()) {
            s.close();
        }
        echoes.clear();
        if (transport != null) {
            transport.close();
        }
    }

    /** The transport opened for this class. */
    protected final Transport transport() {
        return transport;
    }

    // ------------------------------------------------------------------ data path, two processes

    static Stream<Arguments> roundTripCases() {
        List<Arguments> out = new ArrayList<>();
        for (ReceiveMode m : ReceiveMode.values()) {
            for (int size : ROUND_TRIP_SIZES) {
                out.add(Arguments.of(m, size));
            }
        }
        return out.stream();
    }

    /** A child echoes a random payload back; every byte, the slot and the immediate must survive. */
    @ParameterizedTest(name = "{0} {1} bytes")
    @MethodSource("roundTripCases")
    void roundTripIsByteExact(ReceiveMode mode, int size) throws Exception {
        EchoSession s = echo(mode, ROUND_TRIP_SPEC);
        long seed = 31L * size + mode.ordinal();
        int slot = size % 2;
        int immediate = 0x5eed0000 | (size & 0xffff) ^ mode.ordinal();
        Payloads.fill(s.source, size, seed);
        s.connection.write(slot, s.source, 0, size, immediate);
        Completion c = receive(s.connection, mode, MESSAGE_TIMEOUT, s.peer);
        assertEquals(slot, c.slot(), "slot of the echo");
        assertEquals(size, c.length(), "length of the echo");
        assertEquals(immediate, c.immediate(), "immediate of the echo");
        long at = Payloads.firstMismatch(s.connection.receiveSlot(slot), size, seed);
        assertEquals(-1, at, "echoed payload of " + size + " bytes differs at byte " + at);
        int head = Math.min(size, Connection.HEAD_BYTES);
        MemorySegment headView = s.connection.receiveHead(slot);
        assertTrue(headView.byteSize() >= head, "receiveHead holds " + headView.byteSize() + " bytes, need " + head);
        at = Payloads.firstMismatch(headView, head, seed);
        assertEquals(-1, at, "receiveHead of a " + size + "-byte payload differs at byte " + at);
        s.connection.release(slot);
    }

    /** 1,000 messages of varying size with {@value #WINDOW} in flight over {@value #WINDOW} slots. */
    @ParameterizedTest
    @EnumSource(ReceiveMode.class)
    void thousandMessagesWithSeveralOutstanding(ReceiveMode mode) throws Exception {
        EchoSession s = echo(mode, WINDOW_SPEC);
        Connection conn = s.connection;
        int sent = 0;
        int received = 0;
        int maxInFlight = 0;
        while (received < WINDOW_MESSAGES) {
            while (sent < WINDOW_MESSAGES && sent - received < WINDOW) {
                int slot = sent % WINDOW;
                int length = windowLength(sent);
                long offset = (long) slot * WINDOW_SPEC.slotSize();
                Payloads.fill(s.source.asSlice(offset), length, sent);
                conn.write(slot, s.source, offset, length, sent);
                sent++;
                maxInFlight = Math.max(maxInFlight, sent - received);
            }
            Completion c = receive(conn, mode, MESSAGE_TIMEOUT, s.peer);
            int seq = c.immediate();
            assertEquals(received, seq, "echoes must arrive in order");
            assertEquals(seq % WINDOW, c.slot(), "slot of message " + seq);
            assertEquals(windowLength(seq), c.length(), "length of message " + seq);
            long at = Payloads.firstMismatch(conn.receiveSlot(c.slot()), c.length(), seq);
            assertEquals(-1, at, "message " + seq + " differs at byte " + at);
            conn.release(c.slot());
            received++;
        }
        assertEquals(WINDOW, maxInFlight, "the window never filled");
    }

    private static int windowLength(int seq) {
        return (seq * 7919) % WINDOW_SPEC.slotSize() + (seq % 3 == 0 ? 0 : 1) & (WINDOW_SPEC.slotSize() - 1);
    }

    /**
     * Two writer processes hammer counter 0 of their connections to this process while this
     * process, from a second thread per connection, hammers theirs. Every addition must land
     * exactly once, on both sides.
     */
    @Test
    void twoWriterProcessesFetchAndAddExactly() throws Exception {
        ConnectionSpec spec = new ConnectionSpec(1, 64, 1);
        try (Listener listener = transport.listen(listenAddress(), spec);
                PeerProcess a = startPeer("faa-a", "faa", listener.address(), "0", String.valueOf(FAA_PER_WRITER));
                PeerProcess b = startPeer("faa-b", "faa", listener.address(), "0", String.valueOf(FAA_PER_WRITER))) {
            Connection ca = acceptFrom(listener, a);
            Connection cb = acceptFrom(listener, b);
            a.awaitLine(PeerMain.READY, PEER_START);
            b.awaitLine(PeerMain.READY, PEER_START);
            try (ca; cb; Receiver ra = new Receiver(ca, "faa-a"); Receiver rb = new Receiver(cb, "faa-b")) {
                a.send("GO");
                b.send("GO");
                CompletableFuture<Long> oursA = async(() -> hammer(ca, FAA_PER_WRITER));
                CompletableFuture<Long> oursB = async(() -> hammer(cb, FAA_PER_WRITER));
                a.awaitLine(PeerMain.DONE, MESSAGE_TIMEOUT);
                b.awaitLine(PeerMain.DONE, MESSAGE_TIMEOUT);
                assertEquals(FAA_PER_WRITER - 1, oursA.get(60, TimeUnit.SECONDS), "our last previous value at a");
                assertEquals(FAA_PER_WRITER - 1, oursB.get(60, TimeUnit.SECONDS), "our last previous value at b");
                ra.check();
                rb.check();
                assertEquals(FAA_PER_WRITER, ca.localCounter(0), "additions of writer a" + a.describe());
                assertEquals(FAA_PER_WRITER, cb.localCounter(0), "additions of writer b" + b.describe());
                assertEquals(FAA_PER_WRITER, ca.fetchAndAdd(0, 0), "our additions seen by a");
                assertEquals(FAA_PER_WRITER, cb.fetchAndAdd(0, 0), "our additions seen by b");
            }
            assertEquals(0, a.waitFor(PEER_START), "writer a failed" + a.describe());
            assertEquals(0, b.waitFor(PEER_START), "writer b failed" + b.describe());
        }
    }

    private static long hammer(Connection c, int count) {
        long last = -1;
        for (int i = 0; i < count; i++) {
            long previous = c.fetchAndAdd(0, 1);
            if (previous != last + 1) {
                throw new AssertionError("fetch-and-add " + i + " returned " + previous + " after " + last);
            }
            last = previous;
        }
        return last;
    }

    /**
     * Two writer processes connect to one {@link CounterScope#LISTENER} listener and hammer its
     * shared counter 0 at the same time, with deltas of 1 and then 1 to 8. The final value must be
     * the exact sum, seen through the listener and through both accepted connections, and the
     * (previous value, delta) intervals of all additions must tile [0, sum) exactly: two additions
     * that saw the same previous value, or one that was lost, break the tiling. This is what a
     * non-atomic read-add-write between processes would do, and what rFaaS accounting (every
     * worker adding into the manager's one buffer) cannot tolerate.
     */
    @Test
    void twoWriterProcessesHammerOneSharedCounter() throws Exception {
        ConnectionSpec spec = new ConnectionSpec(1, 64, 1);
        requireListenerCounters(spec);
        Listener listener = transport.listen(listenAddress(), spec, CounterScope.LISTENER);
        long expected;
        try (listener;
                PeerProcess a = startPeer("shared-faa-a", "shared-faa", listener.address(),
                        String.valueOf(SHARED_FAA_PER_WRITER), "11");
                PeerProcess b = startPeer("shared-faa-b", "shared-faa", listener.address(),
                        String.valueOf(SHARED_FAA_PER_WRITER), "29")) {
            assertEquals(CounterScope.LISTENER, listener.counterScope());
            Connection ca = acceptFrom(listener, a);
            Connection cb = acceptFrom(listener, b);
            a.awaitLine(PeerMain.READY, PEER_START);
            b.awaitLine(PeerMain.READY, PEER_START);
            try (ca; cb; Receiver ra = new Receiver(ca, "shared-faa-a"); Receiver rb = new Receiver(cb, "shared-faa-b")) {
                assertEquals(0, listener.localCounter(0), "the shared counter starts at 0");
                // A common start in the near future, and bursts on a common schedule, so that the
                // two writers' additions really collide (shm adds in nanoseconds).
                String go = "GO " + (System.currentTimeMillis() + 300);
                a.send(go);
                b.send(go);
                List<long[]> intervals = new ArrayList<>();
                long sumA = collectSharedFaa(a, intervals);
                long sumB = collectSharedFaa(b, intervals);
                ra.check();
                rb.check();
                expected = sumA + sumB;
                assertEquals(expected, listener.localCounter(0), "shared counter through the listener"
                        + a.describe() + b.describe());
                assertEquals(expected, ca.localCounter(0), "shared counter through connection a");
                assertEquals(expected, cb.localCounter(0), "shared counter through connection b");
                assertEquals(2 * SHARED_FAA_PER_WRITER, intervals.size(), "reported additions");
                intervals.sort((x, y) -> Long.compare(x[0], y[0]));
                long next = 0;
                int switches = 0;
                for (int i = 0; i < intervals.size(); i++) {
                    long[] iv = intervals.get(i);
                    if (iv[0] != next) {
                        String what = iv[0] < next ? "saw the same or an overlapping previous value as another"
                                : "left a gap (an addition was lost)";
                        fail("addition with previous value " + iv[0] + " and delta " + iv[1] + " " + what
                                + "; expected previous value " + next);
                    }
                    next = iv[0] + iv[1];
                    if (i > 0 && intervals.get(i - 1)[2] != iv[2]) {
                        switches++;
                    }
                }
                assertEquals(expected, next, "the additions do not add up to the final value");
                System.out.printf("[%s] shared counter: %d additions from 2 processes, final value %d, "
                        + "%d switches between writers%n", transportName(), intervals.size(), expected, switches);
            }
            assertEquals(0, a.waitFor(PEER_START), "writer a failed" + a.describe());
            assertEquals(0, b.waitFor(PEER_START), "writer b failed" + b.describe());
        }
        assertEquals(expected, listener.localCounter(0), "the shared counter stays readable after close");
    }

    /**
     * Reads a {@code shared-faa} writer's report into {@code into} as {previous, delta, writer}
     * triples and returns the sum of its deltas, checked against the deltas it was meant to add.
     */
    private static long collectSharedFaa(PeerProcess writer, List<long[]> into) throws InterruptedException {
        long writerId = writer.process().pid();
        int seen = 0;
        long sum = 0;
        while (true) {
            String line = writer.awaitLine("", Duration.ofSeconds(240));
            if (line.startsWith(PeerMain.VALUES + " ")) {
                for (String pair : line.substring(PeerMain.VALUES.length() + 1).split(" ")) {
                    int colon = pair.indexOf(':');
                    long previous = Long.parseLong(pair.substring(0, colon));
                    long delta = Long.parseLong(pair.substring(colon + 1));
                    into.add(new long[] {previous, delta, writerId});
                    sum += delta;
                    seen++;
                }
            } else if (line.startsWith(PeerMain.DONE + " ")) {
                String[] f = line.split(" ");
                assertEquals(SHARED_FAA_PER_WRITER, Integer.parseInt(f[1]), "additions done" + writer.describe());
                assertEquals(SHARED_FAA_PER_WRITER, seen, "additions reported" + writer.describe());
                assertEquals(Long.parseLong(f[2]), sum, "sum of reported deltas" + writer.describe());
                return sum;
            } else if (line.startsWith("FAILED")) {
                fail("writer failed: " + line + writer.describe());
            }
        }
    }

    /** API semantics of {@link CounterScope#LISTENER}, inside this JVM. */
    @Test
    void listenerScopeCountersAreSharedByAcceptedConnections() throws Exception {
        ConnectionSpec spec = new ConnectionSpec(2, 64, 2);
        try (Listener perConnection = transport.listen(listenAddress(), spec, CounterScope.CONNECTION)) {
            assertEquals(CounterScope.CONNECTION, perConnection.counterScope());
            assertThrows(IllegalStateException.class, () -> perConnection.localCounter(0),
                    "a CONNECTION-scope listener has no counters of its own");
        }
        requireListenerCounters(spec);
        try (Listener listener = transport.listen(listenAddress(), spec, CounterScope.LISTENER);
                Pair p1 = pair(listener, spec);
                Pair p2 = pair(listener, spec)) {
            assertThrows(IllegalArgumentException.class, () -> listener.localCounter(2));
            assertThrows(IllegalArgumentException.class, () -> listener.localCounter(-1));
            try (Receiver r1 = new Receiver(p1.server, "shared-1"); Receiver r2 = new Receiver(p2.server, "shared-2")) {
                assertEquals(0L, p1.client.fetchAndAdd(1, 3));
                assertEquals(3L, p2.client.fetchAndAdd(1, 4));
                assertEquals(7L, p1.client.fetchAndAdd(1, 0));
                assertEquals(0L, p2.client.fetchAndAdd(0, 5));
                r1.check();
                r2.check();
            }
            assertEquals(7, listener.localCounter(1));
            assertEquals(7, p1.server.localCounter(1));
            assertEquals(7, p2.server.localCounter(1));
            assertEquals(5, listener.localCounter(0));
            assertEquals(5, p1.server.localCounter(0));
            // The connectors' own counters are untouched by the scope of the listener.
            assertEquals(0, p1.client.localCounter(1));
            assertEquals(0, p2.client.localCounter(0));
        }
    }

    /**
     * Skips the calling test when the provider does not support {@link CounterScope#LISTENER},
     * after checking that it says so with {@link UnsupportedOperationException}.
     */
    private void requireListenerCounters(ConnectionSpec spec) {
        if (!supportsListenerCounters()) {
            assertThrows(UnsupportedOperationException.class,
                    () -> transport.listen(listenAddress(), spec, CounterScope.LISTENER).close(),
                    "a provider without CounterScope.LISTENER must refuse it with UnsupportedOperationException");
            Assumptions.abort(transportName() + " does not support counters shared by a listener's connections");
        }
    }

    // ------------------------------------------------------------------ peer failure

    /** SIGKILL of the peer while this side sleeps in await: reported, not a hang. */
    @Test
    void peerKilledWhileAwaitingIsReported() throws Exception {
        try (Victim v = victim()) {
            AtomicLong killedAt = v.killLater(300);
            Completion c = new Completion();
            long start = System.nanoTime();
            PeerFailedException e = assertThrows(PeerFailedException.class, () -> {
                while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30)) {
                    if (v.connection.await(c, TimeUnit.SECONDS.toNanos(20))) {
                        fail("unexpected completion " + c);
                    }
                }
            });
            assertDetectedInTime(killedAt, e);
        }
    }

    /** SIGKILL of the peer while this side spins in poll: reported, not a hang. */
    @Test
    void peerKilledWhileHotPollingIsReported() throws Exception {
        try (Victim v = victim()) {
            AtomicLong killedAt = v.killLater(300);
            Completion c = new Completion();
            long start = System.nanoTime();
            PeerFailedException e = assertThrows(PeerFailedException.class, () -> {
                while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30)) {
                    if (v.connection.poll(c)) {
                        fail("unexpected completion " + c);
                    }
                    Thread.onSpinWait();
                }
            });
            assertDetectedInTime(killedAt, e);
        }
    }

    /** After SIGKILL of the peer, writes fail with PeerFailedException within the bound. */
    @Test
    void writeToKilledPeerIsReported() throws Exception {
        try (Victim v = victim()) {
            MemorySegment buf = v.connection.allocateBuffer(64);
            v.connection.write(0, buf, 0, 64, 1); // the path works before the kill
            v.process.kill();
            long killedAt = System.nanoTime();
            PeerFailedException e = assertThrows(PeerFailedException.class, () -> {
                while (System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(30)) {
                    v.connection.write(0, buf, 0, 64, 2);
                    Thread.sleep(1);
                }
            });
            assertDetectedInTime(new AtomicLong(killedAt), e);
        }
    }

    /** A fetch-and-add towards a peer that gets killed ends with PeerFailedException within the bound. */
    @Test
    void fetchAndAddToKilledPeerIsReported() throws Exception {
        try (Victim v = victim()) {
            AtomicLong killedAt = v.killLater(300);
            long start = System.nanoTime();
            PeerFailedException e = assertThrows(PeerFailedException.class, () -> {
                while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30)) {
                    v.connection.fetchAndAdd(0, 1);
                }
            });
            assertDetectedInTime(killedAt, e);
        }
    }

    /**
     * A peer that stops without closing anything (SIGSTOP: what a frozen host or a cut link looks
     * like, no FIN ever arrives) is lost within the liveness bound: a blocked warm await wakes up
     * with PeerFailedException, and later writes fail the same way.
     */
    @Test
    void silentPeerIsLostWithinTheLivenessBound() throws Exception {
        if (!detectsSilentPeers()) {
            Assumptions.abort(transportName() + " runs on one host only: a peer cannot fall silent without dying");
        }
        try (Victim v = victim()) {
            MemorySegment buf = v.connection.allocateBuffer(64);
            v.connection.write(0, buf, 0, 64, 1); // the path works before the peer stops
            signal(v.process, "STOP");
            long stoppedAt = System.nanoTime();
            try {
                Completion c = new Completion();
                PeerFailedException e = assertThrows(PeerFailedException.class, () -> {
                    while (System.nanoTime() - stoppedAt < TimeUnit.SECONDS.toNanos(30)) {
                        if (v.connection.await(c, TimeUnit.SECONDS.toNanos(20))) {
                            fail("unexpected completion " + c);
                        }
                    }
                });
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt);
                assertTrue(millis <= silentPeerDetectionLimit().toMillis(), "silent peer lost after " + millis
                        + " ms, the bound is " + silentPeerDetectionLimit().toMillis() + " ms: " + e);
                assertFalse(v.connection.isOpen(), "a lost peer's connection must not be open");
                assertThrows(PeerFailedException.class, () -> v.connection.write(0, buf, 0, 64, 2));
            } finally {
                signal(v.process, "CONT");
            }
        }
    }

    /**
     * A live peer that sends nothing and does not even poll is never lost: over 5 s, first with
     * this side not receiving at all, then sleeping in await, the connection stays open and works.
     */
    @Test
    void idleLivePeerIsKept() throws Exception {
        try (Victim v = victim()) {
            Thread.sleep(2_500);
            assertTrue(v.connection.isOpen(), "an idle, live peer was lost while this side did not receive");
            Completion c = new Completion();
            long start = System.nanoTime();
            while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(2_500)) {
                assertFalse(v.connection.await(c, TimeUnit.MILLISECONDS.toNanos(500)), "the idle peer sent nothing");
            }
            assertTrue(v.connection.isOpen(), "an idle, live peer was lost while this side awaited");
            MemorySegment buf = v.connection.allocateBuffer(64);
            v.connection.write(0, buf, 0, 64, 1);
            assertTrue(v.process.process().isAlive(), "the idle peer died" + v.process.describe());
        }
    }

    /** Sends {@code SIGSTOP} / {@code SIGCONT} / ... to a child. */
    private static void signal(PeerProcess p, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(p.process().pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal + " failed (the peer is "
                + (p.process().isAlive() ? "alive" : "gone, exit code " + p.process().exitValue()) + ")" + p.describe());
    }

    private void assertDetectedInTime(AtomicLong killedAt, PeerFailedException e) {
        long at = killedAt.get();
        assertTrue(at != 0, "the failure was reported before the peer was killed: " + e);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - at);
        assertTrue(millis <= failureDetectionLimit().toMillis(), "peer death reported after " + millis
                + " ms, the bound is " + failureDetectionLimit().toMillis() + " ms: " + e);
        assertNotNull(e.getMessage());
    }

    // ------------------------------------------------------------------ malformed input

    /**
     * A misbehaving peer gets a typed error naming the problem and its connection closed, while
     * a connection accepted before it and one accepted after it keep working.
     */
    @ParameterizedTest
    @EnumSource(Corruption.class)
    void malformedInputIsRejectedAndTheListenerKeepsServing(Corruption corruption) throws Exception {
        try (Listener listener = transport.listen(listenAddress(), SMALL_SPEC)) {
            Pair before = pair(listener, SMALL_SPEC);
            try (before; RawInjector.RawPeer raw = rawInjector().inject(listener.address(), SMALL_SPEC, corruption,
                    corruption.ordinal() * 7919L)) {
                ProtocolException error = null;
                Connection bad = null;
                try {
                    bad = listener.accept(MESSAGE_TIMEOUT);
                    assertNotNull(bad, "the misbehaving peer never arrived at the listener");
                } catch (ProtocolException e) {
                    error = e;
                }
                if (bad != null) {
                    assertFalse(corruption.duringHandshake(), "a malformed handshake was accepted as " + bad);
                    Connection victim = bad;
                    error = assertThrows(ProtocolException.class, () -> drainUntilFailure(victim));
                    assertFalse(bad.isOpen(), "the connection that sent " + corruption + " is still open");
                    assertThrows(TransportException.class, () -> victim.poll(new Completion()),
                            "a failed connection must keep failing");
                    bad.close();
                }
                if (corruption.expected() != null) {
                    assertEquals(corruption.expected(), error.error(), "error for " + corruption + ": " + error.getMessage());
                }
                assertNotNull(error.getMessage());
                assertTrue(error.getMessage().startsWith(error.error().name()), "message names the error: " + error);
                assertTrue(raw.awaitClosedByListener(MESSAGE_TIMEOUT), "the listener did not close the bad connection");

                try (Pair after = pair(listener, SMALL_SPEC)) {
                    pingPong(before, 17);
                    pingPong(after, 4000);
                }
            }
        }
    }

    private static void drainUntilFailure(Connection c) {
        Completion done = new Completion();
        long deadline = System.nanoTime() + MESSAGE_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (c.await(done, 100_000_000L)) {
                fail("a misbehaving peer produced a completion: " + done);
            }
        }
        fail("no error within " + MESSAGE_TIMEOUT.toMillis() + " ms");
    }

    // ------------------------------------------------------------------ listener and API semantics

    @Test
    void acceptTimeoutReturnsNull() {
        try (Listener listener = transport.listen(listenAddress(), SMALL_SPEC)) {
            long start = System.nanoTime();
            assertNull(listener.accept(Duration.ofMillis(200)));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis >= 150, "accept returned after " + millis + " ms, before its 200 ms timeout");
            assertTrue(millis < 10_000, "accept overslept its 200 ms timeout: " + millis + " ms");
        }
    }

    @Test
    void listenerAddressNamesItsTransport() {
        try (Listener listener = transport.listen(listenAddress(), SMALL_SPEC)) {
            assertEquals(transportName(), Transports.transportOf(listener.address()),
                    "Listener.address() " + listener.address() + " must name its transport");
        }
    }

    @Test
    void connectToNothingFailsWithinTheTimeout() {
        String address;
        try (Listener listener = transport.listen(listenAddress(), SMALL_SPEC)) {
            address = listener.address();
        }
        long start = System.nanoTime();
        assertThrows(TransportException.class, () -> transport.connect(address, SMALL_SPEC, Duration.ofSeconds(2)).close());
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(millis < 10_000, "connect to a closed address took " + millis + " ms with a 2 s timeout");
    }

    @Test
    void closedListenerFailsAcceptAndKeepsAcceptedConnections() throws Exception {
        Listener listener = transport.listen(listenAddress(), SMALL_SPEC);
        try (Pair p = pair(listener, SMALL_SPEC)) {
            listener.close();
            listener.close(); // idempotent
            assertThrows(TransportException.class, () -> listener.accept(Duration.ofMillis(100)));
            pingPong(p, 100);
        }
    }

    @Test
    void closeWakesABlockedAccept() throws Exception {
        Listener listener = transport.listen(listenAddress(), SMALL_SPEC);
        CompletableFuture<Connection> accept = async(() -> listener.accept(Duration.ofSeconds(60)));
        Thread.sleep(200);
        long start = System.nanoTime();
        listener.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> accept.get(10, TimeUnit.SECONDS),
                "accept must fail once its listener is closed");
        assertTrue(e.getCause() instanceof TransportException, "accept after close threw " + e.getCause());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 5_000);
    }

    @Test
    void closeWakesABlockedAwaitAndThePeerSeesPeerFailed() throws Exception {
        try (Listener listener = transport.listen(listenAddress(), SMALL_SPEC); Pair p = pair(listener, SMALL_SPEC)) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread waiter = Thread.ofPlatform().start(() -> {
                try {
                    p.server.await(new Completion(), TimeUnit.SECONDS.toNanos(60));
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            Thread.sleep(200);
            long start = System.nanoTime();
            p.server.close();
            p.server.close(); // idempotent
            waiter.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(waiter.isAlive(), "close did not wake the thread blocked in await");
            assertTrue(thrown.get() instanceof TransportException, "await after close must throw: " + thrown.get());
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 5_000);
            assertFalse(p.server.isOpen());
            Completion c = new Completion();
            assertThrows(PeerFailedException.class, () -> {
                long deadline = System.nanoTime() + MESSAGE_TIMEOUT.toNanos();
                while (System.nanoTime() < deadline) {
                    if (p.client.await(c, 100_000_000L)) {
                        fail("unexpected completion " + c);
                    }
                }
            });
            assertFalse(p.client.isOpen());
        }
    }

    @Test
    void specsAreExchangedAndArgumentsChecked() throws Exception {
        ConnectionSpec serverSpec = new ConnectionSpec(3, 1024, 5);
        ConnectionSpec clientSpec = new ConnectionSpec(7, 256, 2);
        try (Listener listener = transport.listen(listenAddress(), serverSpec); Pair p = pair(listener, clientSpec)) {
            assertEquals(serverSpec, p.server.localSpec());
            assertEquals(clientSpec, p.server.peerSpec());
            assertEquals(clientSpec, p.client.localSpec());
            assertEquals(serverSpec, p.client.peerSpec());
            assertNotNull(p.client.peerDescription());
            assertEquals(1024, p.server.receiveSlot(2).byteSize());
            MemorySegment buf = p.client.allocateBuffer(2048);
            assertThrows(IllegalArgumentException.class, () -> p.client.write(3, buf, 0, 8, 0), "slot past the peer's");
            assertThrows(IllegalArgumentException.class, () -> p.client.write(-1, buf, 0, 8, 0), "negative slot");
            assertThrows(IllegalArgumentException.class, () -> p.client.write(0, buf, 0, 1025, 0), "longer than a peer slot");
            assertThrows(IllegalArgumentException.class, () -> p.server.write(0, buf, 0, 257, 0), "longer than a peer slot");
            assertThrows(IllegalArgumentException.class, () -> p.client.fetchAndAdd(5, 1), "counter past the peer's");
            assertThrows(IndexOutOfBoundsException.class, () -> p.client.write(0, buf, 2000, 100, 0), "past the source");
            assertTrue(p.client.isOpen() && p.server.isOpen(), "rejected arguments must not break the connection");
            // Both directions, the largest write each side accepts, and the counters.
            Payloads.fill(buf, 1024, 5);
            p.client.write(2, buf, 0, 1024, 42);
            Completion c = receive(p.server, ReceiveMode.WARM, MESSAGE_TIMEOUT, null);
            assertEquals(2, c.slot());
            assertEquals(-1, Payloads.firstMismatch(p.server.receiveSlot(2), 1024, 5));
            MemorySegment sbuf = p.server.allocateBuffer(256);
            Payloads.fill(sbuf, 256, 6);
            p.server.write(6, sbuf, 0, 256, 43);
            c = receive(p.client, ReceiveMode.HOT, MESSAGE_TIMEOUT, null);
            assertEquals(6, c.slot());
            assertEquals(43, c.immediate());
            assertEquals(-1, Payloads.firstMismatch(p.client.receiveSlot(6), 256, 6));
            try (Receiver r = new Receiver(p.server, "server")) {
                assertEquals(0, p.client.fetchAndAdd(4, 10));
                assertEquals(10, p.client.fetchAndAdd(4, -3));
                r.check();
            }
            assertEquals(7, p.server.localCounter(4));
        }
    }

    /** await(0) does not block; await(Long.MAX_VALUE) sleeps until data arrives (no overflow). */
    @Test
    void awaitTimeoutsAtTheExtremes() throws Exception {
        try (Listener listener = transport.listen(listenAddress(), SMALL_SPEC); Pair p = pair(listener, SMALL_SPEC)) {
            Completion c = new Completion();
            long start = System.nanoTime();
            assertFalse(p.server.await(c, 0));
            assertFalse(p.server.await(c, 1));
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 2_000, "short awaits took too long");
            CompletableFuture<Completion> forever = async(() -> {
                Completion got = new Completion();
                return p.server.await(got, Long.MAX_VALUE) ? got : null;
            });
            Thread.sleep(200);
            assertFalse(forever.isDone(), "await(Long.MAX_VALUE) returned without data");
            MemorySegment buf = p.client.allocateBuffer(8);
            p.client.write(2, buf, 0, 8, 99);
            Completion got = forever.get(MESSAGE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertNotNull(got);
            assertEquals(99, got.immediate());
        }
    }

    /** A write from a receive slot (what an echo or an in-place function does) is allowed. */
    @Test
    void writeFromAReceiveSlotAndFromAnOffset() throws Exception {
        try (Listener listener = transport.listen(listenAddress(), SMALL_SPEC); Pair p = pair(listener, SMALL_SPEC)) {
            MemorySegment buf = p.client.allocateBuffer(4096);
            Payloads.fill(buf.asSlice(100), 300, 9);
            p.client.write(1, buf, 100, 300, 7);
            Completion c = receive(p.server, ReceiveMode.WARM, MESSAGE_TIMEOUT, null);
            assertEquals(1, c.slot());
            p.server.write(3, p.server.receiveSlot(1), 0, c.length(), c.immediate() + 1);
            c = receive(p.client, ReceiveMode.WARM, MESSAGE_TIMEOUT, null);
            assertEquals(3, c.slot());
            assertEquals(8, c.immediate());
            assertEquals(-1, Payloads.firstMismatch(p.client.receiveSlot(3), 300, 9));
        }
    }

    /**
     * Large payloads (past any copy-behind-the-header threshold) from the start of a buffer, from
     * an offset inside it, and from the start of and an offset inside a receive slot, arrive
     * byte-exact, with neighbouring slots and buffers untouched. Each write runs on a thread of
     * its own while the receiver polls: a provider with manual progress (libfabric) completes a
     * large write only while the target makes progress.
     */
    @Test
    void largeWritesFromBufferAndSlotStartsAndOffsets() throws Exception {
        ConnectionSpec spec = new ConnectionSpec(4, 256 << 10, 0);
        try (Listener listener = transport.listen(listenAddress(), spec); Pair p = pair(listener, spec)) {
            MemorySegment first = p.client.allocateBuffer(200_000);
            MemorySegment second = p.client.allocateBuffer(200_000);
            Payloads.fill(first, 200_000, 1);
            Payloads.fill(second, 200_000, 2);
            int size = 150_000;
            int[][] cases = {{0, 0}, {0, 4_000}, {1, 0}, {1, 777}};
            for (int[] c : cases) {
                MemorySegment source = c[0] == 0 ? first : second;
                int from = c[1];
                CompletableFuture<Void> sent = async(() -> p.client.write(c[0], source, from, size, 100 + from));
                Completion got = receive(p.server, ReceiveMode.WARM, MESSAGE_TIMEOUT, null);
                sent.get(MESSAGE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                assertEquals(c[0], got.slot());
                assertEquals(size, got.length());
                assertEquals(-1, p.server.receiveSlot(c[0]).asSlice(0, size).mismatch(source.asSlice(c[1], size)),
                        "buffer " + c[0] + " from " + c[1]);
                // Back from the receive slot: from its start, then from an offset into another slot.
                int at = c[1] == 0 ? 0 : 1_000;
                sent = async(() -> p.server.write(2 + c[0], p.server.receiveSlot(c[0]), at, size - at, 200 + at));
                got = receive(p.client, ReceiveMode.WARM, MESSAGE_TIMEOUT, null);
                sent.get(MESSAGE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                assertEquals(2 + c[0], got.slot());
                assertEquals(size - at, got.length());
                assertEquals(-1, p.client.receiveSlot(2 + c[0]).asSlice(0, size - at)
                        .mismatch(source.asSlice(c[1] + at, size - at)), "echo from slot offset " + at);
                p.server.release(c[0]);
                p.client.release(2 + c[0]);
            }
            assertEquals(-1, Payloads.firstMismatch(first, 200_000, 1), "the first buffer is unchanged");
            assertEquals(-1, Payloads.firstMismatch(second, 200_000, 2), "the second buffer is unchanged");
        }
    }

    /**
     * A message built in the peer's slot through {@link Connection#sharedPeerSlot} (providers that
     * share memory) arrives intact, small and large, and a later one in the same slot replaces it.
     */
    @Test
    void messageBuiltInASharedPeerSlotArrivesIntact() throws Exception {
        ConnectionSpec spec = new ConnectionSpec(2, 1 << 20, 0);
        try (Listener listener = transport.listen(listenAddress(), spec); Pair p = pair(listener, spec)) {
            var shared = p.client.sharedPeerSlot(1);
            Assumptions.assumeTrue(shared.isPresent(), transport.name() + " shares no memory with its peer");
            MemorySegment view = shared.get();
            assertEquals(spec.slotSize(), view.byteSize(), "size of the shared peer slot");
            assertSame(view, p.client.sharedPeerSlot(1).orElseThrow(), "the same view on every call");
            int immediate = 40;
            for (int size : new int[] {12, 40, 41, 4096, 1 << 20}) {
                Payloads.fill(view, size, size);
                p.client.write(1, view, 0, size, ++immediate);
                Completion c = receive(p.server, ReceiveMode.WARM, MESSAGE_TIMEOUT, null);
                assertEquals(1, c.slot());
                assertEquals(size, c.length());
                assertEquals(immediate, c.immediate());
                assertEquals(-1, Payloads.firstMismatch(p.server.receiveSlot(1), size, size), size + " bytes");
                assertEquals(-1, Payloads.firstMismatch(p.server.receiveHead(1), Math.min(size, Connection.HEAD_BYTES),
                        size), "head of " + size + " bytes");
                p.server.release(1);
            }
            assertThrows(IllegalArgumentException.class, () -> p.client.sharedPeerSlot(2));
        }
    }

    /**
     * Writes that arrive while this side waits for a fetch-and-add answer are not lost or
     * reordered (over tcp the waiting thread receives them into a queue that poll drains).
     */
    @Test
    void writesArrivingDuringAFetchAndAddAreDeliveredInOrder() throws Exception {
        ConnectionSpec spec = new ConnectionSpec(8, 4096, 1);
        try (Listener listener = transport.listen(listenAddress(), spec); Pair p = pair(listener, spec)) {
            CompletableFuture<Long> faa = async(() -> p.client.fetchAndAdd(0, 5));
            Thread.sleep(100); // let the request leave before the writes
            MemorySegment buf = p.server.allocateBuffer(4096);
            for (int i = 0; i < 6; i++) {
                Payloads.fill(buf, 100 + i, 1000 + i);
                p.server.write(i, buf, 0, 100 + i, 1000 + i);
            }
            Completion c = new Completion();
            long deadline = System.nanoTime() + MESSAGE_TIMEOUT.toNanos();
            while (!faa.isDone() && System.nanoTime() < deadline) {
                if (p.server.await(c, 20_000_000L)) { // applies the fetch-and-add over tcp
                    fail("unexpected completion " + c);
                }
            }
            assertEquals(0L, faa.get(1, TimeUnit.SECONDS));
            assertEquals(5, p.server.localCounter(0));
            for (int i = 0; i < 6; i++) {
                c = receive(p.client, i % 2 == 0 ? ReceiveMode.HOT : ReceiveMode.WARM, MESSAGE_TIMEOUT, null);
                assertEquals(1000 + i, c.immediate(), "completions out of order");
                assertEquals(i, c.slot());
                assertEquals(100 + i, c.length());
                assertEquals(-1, Payloads.firstMismatch(p.client.receiveSlot(i), 100 + i, 1000 + i));
            }
            assertFalse(p.client.poll(c), "a completion was delivered twice: " + c);
        }
    }

    /**
     * The threading contract under load: on each side a sending thread interleaves writes and
     * fetch-and-adds while a receiving thread alternates poll and await, in both directions at
     * once. Every message arrives once, in order, intact; every addition lands once.
     */
    @Test
    void separateSenderAndReceiverThreadsOnBothSides() throws Exception {
        ConnectionSpec spec = new ConnectionSpec(4, 4096, 1);
        int messages = 1_000;
        int additions = 300;
        try (Listener listener = transport.listen(listenAddress(), spec); Pair p = pair(listener, spec)) {
            AtomicLong consumedByServer = new AtomicLong();
            AtomicLong consumedByClient = new AtomicLong();
            List<CompletableFuture<?>> all = List.of(
                    async(() -> sendMix(p.client, messages, additions, consumedByServer, spec)),
                    async(() -> sendMix(p.server, messages, additions, consumedByClient, spec)),
                    async(() -> receiveAll(p.server, messages, consumedByServer)),
                    async(() -> receiveAll(p.client, messages, consumedByClient)));
            String[] names = {"client sender", "server sender", "server receiver", "client receiver"};
            StringBuilder failures = new StringBuilder();
            AssertionError first = null;
            for (int i = 0; i < all.size(); i++) {
                try {
                    all.get(i).get(90, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    failures.append("\n").append(names[i]).append(": ").append(e.getCause());
                    first = first != null ? first : new AssertionError(e.getCause());
                }
            }
            if (first != null) {
                throw new AssertionError("threads failed:" + failures, first.getCause());
            }
            assertEquals(additions, p.server.localCounter(0), "client's additions at the server");
            assertEquals(additions, p.client.localCounter(0), "server's additions at the client");
        }
    }

    private static void sendMix(Connection c, int messages, int additions, AtomicLong consumedByPeer, ConnectionSpec spec) {
        MemorySegment buf = c.allocateBuffer(spec.slotSize());
        long lastPrevious = -1;
        int added = 0;
        for (int i = 0; i < messages; i++) {
            while (i - consumedByPeer.get() >= spec.slots()) {
                Thread.yield(); // the peer has not consumed the slot we are about to overwrite
            }
            int length = (i * 131) % spec.slotSize();
            Payloads.fill(buf, length, i);
            c.write(i % spec.slots(), buf, 0, length, i);
            if (added < additions && i % 3 == 0) {
                long previous = c.fetchAndAdd(0, 1);
                assertEquals(lastPrevious + 1, previous, "fetch-and-add " + added);
                lastPrevious = previous;
                added++;
            }
        }
        while (added < additions) {
            assertEquals(lastPrevious + 1, c.fetchAndAdd(0, 1));
            lastPrevious++;
            added++;
        }
    }

    private static void receiveAll(Connection c, int messages, AtomicLong consumed) {
        Completion done = new Completion();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int i = 0;
        while (i < messages) {
            boolean got = i % 2 == 0 ? c.poll(done) : c.await(done, 10_000_000L);
            if (!got) {
                assertTrue(System.nanoTime() < deadline, "received only " + i + " of " + messages);
                Thread.yield();
                continue;
            }
            assertEquals(i, done.immediate(), "messages out of order");
            assertEquals(i % c.localSpec().slots(), done.slot());
            long at = Payloads.firstMismatch(c.receiveSlot(done.slot()), done.length(), i);
            assertEquals(-1, at, "message " + i + " differs at byte " + at);
            c.release(done.slot());
            consumed.incrementAndGet();
            i++;
        }
        // Keep receiving until the peer's additions are done (tcp applies them while we poll).
        while (System.nanoTime() < deadline && c.localCounter(0) < 300) {
            if (c.await(done, 10_000_000L)) {
                fail("unexpected completion " + done);
            }
        }
    }

    /** Both sides write 16 MiB at each other at the same time, then receive: no deadlock. */
    @Test
    void simultaneousLargeWritesDoNotDeadlock() throws Exception {
        int size = 16 << 20;
        ConnectionSpec spec = new ConnectionSpec(1, size, 0);
        try (Listener listener = transport.listen(listenAddress(), spec); Pair p = pair(listener, spec)) {
            MemorySegment a = p.client.allocateBuffer(size);
            MemorySegment b = p.server.allocateBuffer(size);
            Payloads.fill(a, size, 1);
            Payloads.fill(b, size, 2);
            CompletableFuture<Completion> atServer = async(() -> {
                p.server.write(0, b, 0, size, 2);
                return receive(p.server, ReceiveMode.WARM, MESSAGE_TIMEOUT, null);
            });
            p.client.write(0, a, 0, size, 1);
            Completion atClient = receive(p.client, ReceiveMode.HOT, MESSAGE_TIMEOUT, null);
            assertEquals(1, atServer.get(MESSAGE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).immediate());
            assertEquals(2, atClient.immediate());
            assertEquals(-1, Payloads.firstMismatch(p.server.receiveSlot(0), size, 1));
            assertEquals(-1, Payloads.firstMismatch(p.client.receiveSlot(0), size, 2));
        }
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Runs {@code task} on a new platform thread. Not the common pool: on a 2-core machine its
     * parallelism is 1, which would run "concurrent" tasks one after another.
     */
    protected static <T> CompletableFuture<T> async(java.util.function.Supplier<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("conformance-task").start(() -> {
            try {
                f.complete(task.get());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    /** {@link #async(java.util.function.Supplier)} for a task without a result. */
    protected static CompletableFuture<Void> async(Runnable task) {
        return async(() -> {
            task.run();
            return null;
        });
    }

    /** Receives one completion in the given mode, failing with the peer's output on timeout. */
    protected static Completion receive(Connection c, ReceiveMode mode, Duration timeout, PeerProcess peer) {
        Completion done = new Completion();
        long deadline = System.nanoTime() + timeout.toNanos();
        int idle = 0;
        while (System.nanoTime() < deadline) {
            if (mode == ReceiveMode.HOT) {
                if (c.poll(done)) {
                    return done;
                }
                // Back off from spinning to yielding, so an overloaded machine still runs the peer.
                if (++idle < 1_000) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            } else if (c.await(done, 200_000_000L)) {
                return done;
            }
        }
        throw new AssertionError("nothing received within " + timeout.toMillis() + " ms"
                + (peer == null ? "" : peer.describe()));
    }

    /** Starts a {@link PeerMain} child in the given mode, connecting to {@code address}. */
    protected final PeerProcess startPeer(String name, String mode, String address, String... more) {
        List<String> args = new ArrayList<>(List.of(mode, transportName(), address));
        args.addAll(List.of(more));
        return PeerProcess.start(name, peerJvmOptions(), PeerMain.class, args);
    }

    private static Connection acceptFrom(Listener listener, PeerProcess peer) {
        Connection c = listener.accept(PEER_START);
        if (c == null) {
            throw new AssertionError("peer did not connect within " + PEER_START.toMillis() + " ms" + peer.describe());
        }
        return c;
    }

    private EchoSession echo(ReceiveMode mode, ConnectionSpec spec) throws Exception {
        String key = mode + " " + spec;
        EchoSession s = echoes.get(key);
        if (s != null && s.connection.isOpen()) {
            return s;
        }
        if (s != null) {
            s.close();
        }
        Listener listener = transport.listen(listenAddress(), spec);
        PeerProcess peer = startPeer("echo-" + mode.name().toLowerCase(), "echo", listener.address(),
                String.valueOf(spec.slots()), String.valueOf(spec.slotSize()), String.valueOf(spec.counters()),
                mode.name().toLowerCase());
        try {
            Connection c = acceptFrom(listener, peer);
            s = new EchoSession(listener, peer, c, c.allocateBuffer(spec.slotBytes()));
        } catch (Throwable t) {
            peer.close();
            listener.close();
            throw t;
        }
        echoes.put(key, s);
        return s;
    }

    private record EchoSession(Listener listener, PeerProcess peer, Connection connection, MemorySegment source)
            implements AutoCloseable {
        @Override
        public void close() {
            connection.close();
            try {
                int code = peer.waitFor(Duration.ofSeconds(60));
                assertEquals(0, code, "echo peer failed" + peer.describe());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                peer.close();
                listener.close();
            }
        }
    }

    /** A connected child that does nothing, ready to be killed. */
    private Victim victim() throws Exception {
        Listener listener = transport.listen(listenAddress(), SMALL_SPEC);
        PeerProcess peer = startPeer("victim", "idle", listener.address());
        try {
            Connection c = acceptFrom(listener, peer);
            peer.awaitLine(PeerMain.READY, PEER_START);
            return new Victim(listener, peer, c);
        } catch (Throwable t) {
            peer.close();
            listener.close();
            throw t;
        }
    }

    private record Victim(Listener listener, PeerProcess process, Connection connection) implements AutoCloseable {
        /** Kills the peer from another thread after {@code millis}; the result holds the kill time. */
        AtomicLong killLater(long millis) {
            AtomicLong at = new AtomicLong();
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    Thread.sleep(millis);
                    at.set(System.nanoTime());
                    process.process().destroyForcibly();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            return at;
        }

        @Override
        public void close() {
            connection.close();
            process.close();
            listener.close();
        }
    }

    /** Two connected ends inside this JVM. */
    protected record Pair(Connection server, Connection client) implements AutoCloseable {
        @Override
        public void close() {
            client.close();
            server.close();
        }
    }

    /** Connects to {@code listener} from this JVM and accepts the connection. */
    protected final Pair pair(Listener listener, ConnectionSpec clientSpec) throws Exception {
        Future<Connection> client = async(
                () -> transport.connect(listener.address(), clientSpec, MESSAGE_TIMEOUT));
        Connection server;
        try {
            server = listener.accept(MESSAGE_TIMEOUT);
        } catch (RuntimeException e) {
            client.cancel(true);
            throw e;
        }
        assertNotNull(server, "connection from this JVM was not accepted");
        try {
            return new Pair(server, client.get(MESSAGE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        } catch (ExecutionException e) {
            server.close();
            throw new AssertionError("connect failed: " + e.getCause(), e.getCause());
        }
    }

    /** One message each way on a pair, checked byte for byte. */
    protected static void pingPong(Pair p, int size) {
        MemorySegment a = p.client.allocateBuffer(size);
        Payloads.fill(a, size, size);
        p.client.write(0, a, 0, size, size);
        Completion c = receive(p.server, ReceiveMode.WARM, MESSAGE_TIMEOUT, null);
        assertEquals(size, c.length());
        assertEquals(-1, Payloads.firstMismatch(p.server.receiveSlot(c.slot()), size, size));
        p.server.write(1, p.server.receiveSlot(c.slot()), 0, size, size + 1);
        c = receive(p.client, ReceiveMode.HOT, MESSAGE_TIMEOUT, null);
        assertEquals(1, c.slot());
        assertEquals(size + 1, c.immediate());
        assertEquals(-1, Payloads.firstMismatch(p.client.receiveSlot(1), size, size));
    }

    /**
     * Keeps a connection receiving on its own thread (tcp applies a peer's fetch-and-add while it
     * polls or awaits), and records anything unexpected. Stops when closed or the peer leaves.
     */
    private static final class Receiver implements AutoCloseable {
        private final Thread thread;
        private final AtomicReference<Throwable> problem = new AtomicReference<>();
        private volatile boolean stop;

        Receiver(Connection c, String name) {
            thread = Thread.ofPlatform().name("receiver-" + name).start(() -> {
                Completion done = new Completion();
                try {
                    while (!stop) {
                        if (c.await(done, 50_000_000L)) {
                            problem.set(new AssertionError("unexpected completion " + done));
                        }
                    }
                } catch (PeerFailedException e) {
                    if (!stop) {
                        problem.compareAndSet(null, e);
                    }
                } catch (Throwable t) {
                    problem.compareAndSet(null, t);
                }
            });
        }

        void check() {
            Throwable t = problem.get();
            if (t != null) {
                throw new AssertionError("receiving thread failed: " + t, t);
            }
        }

        @Override
        public void close() {
            stop = true;
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            check();
        }
    }
}
