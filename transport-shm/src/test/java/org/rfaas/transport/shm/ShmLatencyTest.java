package org.rfaas.transport.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;
import org.rfaas.transport.Wire;

/**
 * Sanity check of the shm round trip between two processes: prints median and p99 for 8 B hot
 * (busy-polling) and warm (futex) ping-pong. Asserts only that every reply is right: timing on a
 * shared 2-vCPU machine is too noisy to assert on. Also runnable as a main:
 * {@code java -cp ... org.rfaas.transport.shm.ShmLatencyTest [hotIterations]}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
final class ShmLatencyTest {

    @Test
    void hotAndWarmRoundTripsOf8Bytes() throws Exception {
        run(20_000, 200);
    }

    public static void main(String[] args) throws Exception {
        run(args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000, args.length > 1 ? Integer.parseInt(args[1]) : 2_000);
    }

    private static void run(int hotIterations, int warmIterations) throws Exception {
        try (Transport t = Transports.open("shm")) {
            System.out.println("8 B round trip, " + report("hot", t, "hot", hotIterations));
            System.out.println("8 B round trip, " + report("warm", t, "warm", warmIterations));
        }
    }

    private static String report(String label, Transport t, String mode, int iterations) throws Exception {
        ConnectionSpec spec = new ConnectionSpec(2, 64, 1);
        try (Listener l = t.listen("shm:", spec);
                Child child = Child.start(ShmPeer.class, "echo", l.address(), mode, "2", "64")) {
            Connection c = l.accept(Duration.ofSeconds(30));
            assertNotNull(c);
            child.expect("READY", 30);
            boolean warm = mode.equals("warm");
            MemorySegment buf = c.allocateBuffer(8);
            Completion done = new Completion();
            int warmup = Math.max(iterations / 2, 100);
            long[] rtt = new long[iterations];
            for (int i = -warmup; i < iterations; i++) {
                buf.set(Wire.LONG, 0, i);
                long t0 = System.nanoTime();
                c.write(0, buf, 0, 8, i + warmup); // immediates stay clear of ShmPeer.STOP
                if (warm) {
                    while (!c.await(done, 1_000_000_000L)) {
                        Thread.onSpinWait();
                    }
                } else {
                    while (!c.poll(done)) {
                        Thread.onSpinWait();
                    }
                }
                long t1 = System.nanoTime();
                if (done.immediate() != i + warmup || c.receiveSlot(0).get(Wire.LONG, 0) != i) {
                    throw new AssertionError("reply " + done + " does not echo " + i);
                }
                if (i >= 0) {
                    rtt[i] = t1 - t0;
                }
            }
            c.write(0, buf, 0, 0, ShmPeer.STOP);
            assertEquals(0, child.waitFor(20));
            Arrays.sort(rtt);
            return String.format("%s: n=%d median=%.3f us p99=%.3f us min=%.3f us", label, iterations,
                    rtt[iterations / 2] / 1e3, rtt[(int) (iterations * 0.99)] / 1e3, rtt[0] / 1e3);
        }
    }
}
