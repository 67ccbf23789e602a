package org.rfaas.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
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
    void callsAnEchoWorkerInThisProcessAndLeavesNoThreadBehind(String transportName) throws Exception {
        try (Transport transport = Transports.open(transportName)) {
            // Threads the JDK and the transport start once, at their first connection, and keep.
            assertEquals(10, HotPathWarmup.run(transport, transportName, SLOTS, INPUT, OUTPUT, 10));
            Set<Thread> before = Thread.getAllStackTraces().keySet();
            assertEquals(3_000, HotPathWarmup.run(transport, transportName, SLOTS, INPUT, OUTPUT, 3_000));
            // The transport's per-connection threads (if any) end with the loopback connection.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Set<Thread> left;
            do {
                left = Thread.getAllStackTraces().keySet().stream().filter(t -> !before.contains(t) && t.isAlive())
                        .collect(Collectors.toSet());
                if (!left.isEmpty()) {
                    Thread.sleep(20);
                }
            } while (!left.isEmpty() && System.nanoTime() < deadline);
            assertEquals(List.of(), left.stream().map(Thread::getName).sorted().toList(), "threads left by the warm-up");
            assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals(HotPathWarmup.ECHO_THREAD)),
                    "the echo worker's thread is still there");
        }
    }

    @Test
    void aClientBuiltWithWarmUpWarmsItsTransportOnceBeforeItsFirstAllocation() throws Exception {
        int unused;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            unused = s.getLocalPort(); // closed again: nothing listens there
        }
        LeaseSource nowhere = (cores, memory, duration) -> LeaseOffer.unauthenticated("n", "tcp://127.0.0.1:" + unused);
        Path jar = dir.resolve("f.jar");
        Files.write(jar, new byte[] {'P', 'K', 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        AllocationSpec spec = AllocationSpec.of(1, 256, HotTimeout.ALWAYS_HOT, FunctionPackage.jar(jar), 1024, 4096);
        try (RfaasClient warm = RfaasClient.builder().leaseSource(nowhere).warmUp(500).build();
             RfaasClient cold = RfaasClient.builder().leaseSource(nowhere).build()) {
            // No manager answers: the allocation fails, after the warm-up (which needs none).
            assertThrows(AllocationRefusedException.class, () -> warm.allocate(spec));
            assertEquals(Set.of("tcp"), warm.warmedTransports());
            assertThrows(AllocationRefusedException.class, () -> cold.allocate(spec));
            assertEquals(Set.of(), cold.warmedTransports());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"shm", "tcp", "fabric:tcp"})
    void listensOnTheLoopback(String transportName) {
        String address = HotPathWarmup.loopback(transportName);
        assertEquals(transportName, Transports.transportOf(address));
        assertTrue(address.equals("shm:") || address.contains("127.0.0.1"), address);
    }
}
