package org.rfaas.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The pieces every transport shares: Liveness, LivenessTimer, IdleStrategy, WireHeader, ConnectionSpec. */
class SharedPiecesTest {

    @Test
    void livenessDefaultsLoseASilentPeerWithinTwoSeconds() {
        Liveness l = Liveness.defaults();
        assertTrue(l.timeout().plus(l.heartbeatInterval()).compareTo(Duration.ofSeconds(2)) <= 0, l.toString());
    }

    @Test
    void livenessRejectsATimeoutShorterThanThreeHeartbeats() {
        assertThrows(IllegalArgumentException.class, () -> new Liveness(Duration.ofMillis(500), Duration.ofMillis(1400)));
        assertThrows(IllegalArgumentException.class, () -> new Liveness(Duration.ZERO, Duration.ofMillis(1400)));
        assertEquals(Duration.ofMillis(1500), new Liveness(Duration.ofMillis(500), Duration.ofMillis(1500)).timeout());
    }

    @Test
    void livenessReadsItsPropertiesAndNamesABadOne() {
        String prefix = "rfaas.test" + System.nanoTime() + ".";
        System.setProperty(prefix + Liveness.INTERVAL_PROPERTY, "100");
        System.setProperty(prefix + Liveness.TIMEOUT_PROPERTY, "700");
        try {
            assertEquals(new Liveness(Duration.ofMillis(100), Duration.ofMillis(700)), Liveness.fromSystemProperties(prefix));
            System.setProperty(prefix + Liveness.TIMEOUT_PROPERTY, "soon");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Liveness.fromSystemProperties(prefix));
            assertTrue(e.getMessage().contains(prefix + Liveness.TIMEOUT_PROPERTY), e.getMessage());
        } finally {
            System.clearProperty(prefix + Liveness.INTERVAL_PROPERTY);
            System.clearProperty(prefix + Liveness.TIMEOUT_PROPERTY);
        }
    }

    @Test
    void livenessTimerRunsRepeatedlyAndSurvivesAThrowingTask() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch three = new CountDownLatch(3);
        Future<?> f = LivenessTimer.every(Duration.ofMillis(10), () -> {
            runs.incrementAndGet();
            three.countDown();
            throw new IllegalStateException("a failing run must not stop the next");
        });
        try {
            assertTrue(three.await(30, TimeUnit.SECONDS), "the task ran " + runs.get() + " times");
        } finally {
            f.cancel(false);
        }
    }

    @Test
    void backoffIdleStrategyParksOnlyAfterSpinningAndYielding() {
        assertThrows(IllegalArgumentException.class, () -> new BackoffIdleStrategy(-1, 0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new BackoffIdleStrategy(0, 0, 10, 5));
        long park = TimeUnit.MILLISECONDS.toNanos(20);
        BackoffIdleStrategy idle = new BackoffIdleStrategy(3, 2, park, park);
        for (int i = 0; i < 5; i++) {
            idle.idle(); // spins and yields: no park of 20 ms can be observed below
        }
        long start = System.nanoTime();
        idle.idle();
        assertTrue(System.nanoTime() - start >= park / 2, "the sixth idle() must park");
        idle.reset();
        start = System.nanoTime();
        idle.idle(TimeUnit.MILLISECONDS.toNanos(1)); // a spin again after reset
        idle.idle(0);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
    }

    @Test
    void wireHeaderRoundTripsAndNamesBadMagicAndVersion() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(16);
            WireHeader.put(m, 4, Wire.VERSION, (byte) 7, 12);
            assertEquals(7, WireHeader.checkPrefix(m, 4, Wire.VERSION, "test message", ""));
            assertEquals(12, WireHeader.length(m, 4));
            ProtocolException v = assertThrows(ProtocolException.class,
                    () -> WireHeader.checkPrefix(m, 4, (byte) (Wire.VERSION + 1), "test message", " from here"));
            assertEquals(ProtocolError.BAD_VERSION, v.error());
            assertTrue(v.getMessage().contains("test message from here has protocol version"), v.getMessage());
            m.set(Wire.SHORT, 4, (short) 0x1234);
            ProtocolException magic = assertThrows(ProtocolException.class,
                    () -> WireHeader.checkPrefix(m, 4, Wire.VERSION, "test message", ""));
            assertEquals(ProtocolError.BAD_MAGIC, magic.error());
        }
    }

    /** ConnectionSpec's written-out equals and hashCode: equal exactly when all three fields are. */
    @Test
    void connectionSpecsAreEqualExactlyWhenEveryFieldIs() {
        ConnectionSpec spec = new ConnectionSpec(4, 1024, 2);
        assertEquals(spec, new ConnectionSpec(4, 1024, 2));
        assertEquals(spec.hashCode(), new ConnectionSpec(4, 1024, 2).hashCode());
        assertNotEquals(spec, new ConnectionSpec(5, 1024, 2));
        assertNotEquals(spec, new ConnectionSpec(4, 1032, 2));
        assertNotEquals(spec, new ConnectionSpec(4, 1024, 3));
        assertNotEquals(spec, null);
        assertNotEquals(spec, "ConnectionSpec[slots=4, slotSize=1024, counters=2]");
        assertEquals("ConnectionSpec[slots=4, slotSize=1024, counters=2]", spec.toString());
    }
}
