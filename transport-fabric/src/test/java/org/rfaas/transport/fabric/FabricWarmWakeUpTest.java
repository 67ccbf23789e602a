package org.rfaas.transport.fabric;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * Warm waits must never miss a wake-up. Both processes sleep with a wait slice of
 * {@value #SLICE_MS} ms and the peer awaits with an even longer timeout, so a wake-up that is lost
 * (not rung, or rung with a count the waiter had already consumed) shows as a round trip of at
 * least that long instead of being covered by a 50 ms slice. The writes come after varying pauses,
 * and this side waits for a quarter of the echoes by polling (hot), so its warm/hot announcements
 * race the peer's echoes; fetch-and-adds on the sleeping peer's counters (FI_ATOMIC needs the
 * peer's progress) must be answered promptly too.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class FabricWarmWakeUpTest {
    private static final int SLICE_MS = 8_000;
    /** Far below a slice, far above any scheduling hiccup of a loaded 2-CPU machine. */
    private static final long LIMIT_MS = 2_000;

    @ParameterizedTest(name = "{0} warmWait={1} {2}")
    @CsvSource({
        "fabric:tcp, auto,     rma, wake endpoint",
        "fabric:tcp, endpoint, rma, wake endpoint",
        "fabric:tcp, socket,   msg, wake socket",
        "fabric:tcp, endpoint, msg, wake endpoint",
        "fabric:tcp, cq,       rma, fi_cq_sread",
        "fabric:shm, auto,     rma, wake socket",
    })
    void everyWarmWriteWakesTheSleepingPeer(String transportName, String warmWait, String mode, String expectedKind)
            throws Exception {
        String[] props = {
            FabricCapabilities.WARM_WAIT_PROPERTY + "=" + warmWait,
            FabricContext.WAIT_SLICE_PROPERTY + "=" + SLICE_MS,
            FabricContext.MODE_PROPERTY + "=" + mode,
            FabricContext.ATOMICS_PROPERTY + "=" + (mode.equals("msg") ? "emulated" : "native"),
            "rfaas.test.awaitMillis=" + 3 * SLICE_MS,
        };
        for (String p : props) {
            String[] kv = p.split("=", 2);
            System.setProperty(kv[0], kv[1]);
        }
        try (Transport transport = Transports.open(transportName);
                PeerProcess peer = new PeerProcess(transportName, props);
                Connection conn = transport.connect(peer.address, FabricPeer.SPEC, Duration.ofSeconds(20))) {
            assertEquals(expectedKind, ((FabricConnection) conn).warmWaitKind());
            MemorySegment buf = conn.allocateBuffer(64);
            Completion cp = new Completion();
            // Pauses around the peer's spin phase (tens of microseconds) and well past it.
            long[] pausesNanos = {0, 5_000, 20_000, 50_000, 100_000, 300_000, 1_000_000, 3_000_000};
            Random random = new Random(11);
            int trips = 240;
            long[] micros = new long[trips];
            for (int i = 0; i < trips; i++) {
                long pause = pausesNanos[random.nextInt(pausesNanos.length)];
                if (pause > 0) {
                    LockSupport.parkNanos(pause);
                }
                int slot = i % FabricPeer.SPEC.slots();
                buf.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, i * 31L);
                long t0 = System.nanoTime();
                conn.write(slot, buf, 0, 8, i);
                if (random.nextInt(4) == 0) {
                    // A hot phase now and then: this side tells the peer to stop ringing, then to
                    // ring again at its next warm wait, while the peer's echoes race those frames.
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3 * SLICE_MS / 1000);
                    while (!conn.poll(cp)) {
                        assertTrue(System.nanoTime() < deadline, "no echo of write " + i + " (polling)");
                    }
                } else {
                    assertTrue(conn.await(cp, TimeUnit.SECONDS.toNanos(3 * SLICE_MS / 1000)), "no echo of write " + i);
                }
                micros[i] = (System.nanoTime() - t0) / 1000;
                assertEquals(i + 1, cp.immediate());
                assertEquals(i * 31L, conn.receiveSlot(cp.slot()).get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
                conn.release(cp.slot());
            }
            long[] sorted = micros.clone();
            Arrays.sort(sorted);
            List<String> slow = new ArrayList<>();
            for (int i = 0; i < trips; i++) {
                if (micros[i] > LIMIT_MS * 1000) {
                    slow.add("#" + i + ": " + micros[i] / 1000 + " ms");
                }
            }
            System.err.printf("%s warmWait=%s %s: warm round trip median %d us, max %d us%n", transportName, warmWait,
                    mode, sorted[trips / 2], sorted[trips - 1]);
            assertTrue(slow.isEmpty(), "round trips as long as a wait slice (lost wake-ups): " + slow);

            // The peer sleeps again; each fetch-and-add needs it awake (FI_ATOMIC: its progress).
            for (int i = 0; i < 10; i++) {
                LockSupport.parkNanos(2_000_000);
                long t0 = System.nanoTime();
                assertEquals(i, conn.fetchAndAdd(0, 1));
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertTrue(ms < LIMIT_MS, "fetch-and-add on the sleeping peer took " + ms + " ms");
            }
            conn.write(0, buf, 0, 0, FabricPeer.STOP);
        } finally {
            for (String p : props) {
                System.clearProperty(p.split("=", 2)[0]);
            }
        }
    }
}
