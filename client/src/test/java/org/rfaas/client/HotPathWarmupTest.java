package org.rfaas.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.rfaas.protocol.AllocationRefusal;
import org.rfaas.protocol.AllocationResponse;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.HandshakeRehearsal;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * The client's warm-up runs without a lease or an executor: its calls reach a loopback echo worker
 * in the same process through the invocation path a lease's calls take, and come back intact;
 * afterwards no thread of it is left, and the transport still serves the lease.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HotPathWarmupTest {
    @TempDir
    Path dir;
    /** A lease's defaults: 2 slots per worker, 1 KiB in, 4 KiB out. */
    private static final int SLOTS = 2;
    private static final int INPUT = 1024;
    private static final int OUTPUT = 4096;

    @ParameterizedTest
    @ValueSource(strings = {"shm", "tcp"})
    void callsAnEchoWorkerInThisProcessMakesItsHandshakesAndLeavesNoThreadBehind(String transportName)
            throws Exception {
        try (Transport transport = Transports.open(transportName)) {
            // Threads the JDK and the transport start once, at their first connection, and keep.
            assertEquals(10, HotPathWarmup.run(transport, transportName, SLOTS, INPUT, OUTPUT, 10));
            assertEquals(5, HotPathWarmup.handshakes(transport, transportName, SLOTS, INPUT, OUTPUT, 5));
            Set<Thread> before = Thread.getAllStackTraces().keySet();
            assertEquals(3_000, HotPathWarmup.run(transport, transportName, SLOTS, INPUT, OUTPUT, 3_000));
            assertEquals(200, HotPathWarmup.handshakes(transport, transportName, SLOTS, INPUT, OUTPUT, 200));
            assertEquals(0, HotPathWarmup.handshakes(transport, transportName, SLOTS, INPUT, OUTPUT, 0));
            // The transport's per-connection threads (if any) end with the loopback connections.
            assertEquals(List.of(), threadsLeftBeside(before), "threads left by the warm-up");
            assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals(HotPathWarmup.ECHO_THREAD)),
                    "the echo worker's thread is still there");
            // The transport still connects after 200 connections made and dropped.
            assertEquals(10, HotPathWarmup.run(transport, transportName, SLOTS, INPUT, OUTPUT, 10));
        }
    }

    /** Names of the live threads not in {@code before}, once none is left or after 10 s. */
    private static List<String> threadsLeftBeside(Set<Thread> before) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Set<Thread> left;
        do {
            left = Thread.getAllStackTraces().keySet().stream().filter(t -> !before.contains(t) && t.isAlive())
                    .collect(Collectors.toSet());
            if (!left.isEmpty()) {
                Thread.sleep(20);
            }
        } while (!left.isEmpty() && System.nanoTime() < deadline);
        return left.stream().map(Thread::getName).sorted().toList();
    }

    @Test
    void aClientBuiltWithWarmUpWarmsItsTransportOnceItsAllocationIsAccepted() throws Exception {
        assertEquals(Set.of("tcp"), warmedAtAFailedAllocation(b -> b.warmUp(500)));
        assertEquals(Set.of(), warmedAtAFailedAllocation(b -> b));
    }

    /**
     * The transports a client built by {@code configure} warmed at an allocation its manager
     * accepts but no executor of which ever connects (it fails after the warm-up).
     */
    private Set<String> warmedAtAFailedAllocation(UnaryOperator<RfaasClient.Builder> configure) throws Exception {
        Path jar = Files.write(Files.createTempFile(dir, "f", ".jar"),
                new byte[] {'P', 'K', 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        AllocationSpec spec = AllocationSpec.of(1, 256, HotTimeout.ALWAYS_HOT, FunctionPackage.jar(jar), 1024, 4096);
        try (Transport tcp = Transports.open("tcp");
             Listener managerSide = tcp.listen("tcp://127.0.0.1:0", new ConnectionSpec(2, 256 * 1024 + 64, 0))) {
            LeaseSource here = (cores, memory, duration) -> LeaseOffer.unauthenticated("n", managerSide.address());
            Thread manager = Thread.ofPlatform().daemon().start(() -> acceptEveryAllocation(managerSide));
            try (RfaasClient client = configure.apply(RfaasClient.builder().leaseSource(here)
                    .allocationTimeout(Duration.ofSeconds(1))).build()) {
                assertThrows(RfaasException.class, () -> client.allocate(spec));
                return client.warmedTransports();
            } finally {
                manager.interrupt();
            }
        }
    }

    @Test
    void theHandshakeRehearsalStopsWhenToldAndMakesNoneOverLibfabric() throws Exception {
        try (Transport transport = Transports.open("shm");
             Listener listener = transport.listen("shm:", new ConnectionSpec(3, 4160, 0))) {
            AtomicInteger asked = new AtomicInteger();
            // Asked once before each connection: told to stop at the 8th, after 7.
            int made = HandshakeRehearsal.run(transport, "shm", listener, new ConnectionSpec(2, 1088, 0), 100,
                    Duration.ofSeconds(20), () -> asked.incrementAndGet() > 7);
            assertEquals(7, made);
        }
        assertFalse(HandshakeRehearsal.applies("fabric:tcp"));
        assertTrue(HandshakeRehearsal.applies("shm") && HandshakeRehearsal.applies("tcp"));
    }

    @Test
    void aClientWarmsItsHandshakesWithoutWarmUpCallsAndRefusesANegativeCount() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> RfaasClient.builder().warmUpHandshakes(-1));
        assertEquals(Set.of("tcp"), warmedAtAFailedAllocation(b -> b.warmUpHandshakes(20)));
    }

    /** A manager that answers every allocation request "accepted" (the package as if cached) and starts nothing. */
    private static void acceptEveryAllocation(Listener managerSide) {
        List<Connection> open = new ArrayList<>();
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Connection c = managerSide.accept(Duration.ofMillis(100));
                if (c != null) {
                    open.add(c);
                }
                for (Connection control : open) {
                    Completion done = new Completion();
                    if (control.isOpen() && control.poll(done)) {
                        control.release(done.slot());
                        MemorySegment buffer = control.allocateBuffer(1024);
                        int length = new AllocationResponse(1, System.currentTimeMillis() + 60_000,
                                AllocationRefusal.NONE, "").encode(buffer, 0);
                        control.write(0, buffer, 0, length, 0);
                    }
                }
            }
        } catch (RuntimeException e) {
            // the test is over
        } finally {
            open.forEach(Connection::close);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"shm", "tcp", "fabric:tcp"})
    void listensOnTheLoopback(String transportName) {
        String address = Transports.loopbackAddress(transportName);
        assertEquals(transportName, Transports.transportOf(address));
        assertTrue(address.equals("shm:") || address.contains("127.0.0.1"), address);
    }
}
