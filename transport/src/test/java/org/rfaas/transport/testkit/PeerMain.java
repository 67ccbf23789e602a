package org.rfaas.transport.testkit;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * The other process of {@link TransportConformanceTest}. It connects to the test's listener and
 * plays one role, reporting progress as lines on stdout:
 *
 * <pre>
 * echo  TRANSPORT ADDRESS SLOTS SLOT_SIZE COUNTERS hot|warm
 *       echoes every write back into the same slot with the same immediate, until the peer closes
 * faa   TRANSPORT ADDRESS INDEX COUNT
 *       after "GO" on stdin adds 1 to the peer's counter INDEX COUNT times, checks that the
 *       previous values only grow, prints "DONE", then keeps receiving until the peer closes
 * shared-faa  TRANSPORT ADDRESS COUNT SEED
 *       after "GO START" on stdin waits until START (epoch milliseconds), then adds, paced by a
 *       few microseconds of spinning so that both writers' additions overlap in time, COUNT deltas of 1 to 8 (a sequence fixed by SEED, the first half
 *       all 1) to the peer's counter 0, a shared counter of a CounterScope.LISTENER listener, while
 *       another writer process does the same; prints every (previous value, delta) pair as
 *       "VALUES p:d p:d ..." lines of at most 500 pairs, then "DONE COUNT SUM", then keeps
 *       receiving until the peer closes
 * idle  TRANSPORT ADDRESS
 *       connects, prints READY and does nothing (a victim for SIGKILL)
 * </pre>
 *
 * Exit code 0 when the test side closed the connection as expected, 1 on any other failure.
 */
public final class PeerMain {
    /** Printed once connected. */
    public static final String READY = "READY";
    /** Prefix of the lines with which {@code shared-faa} reports its previous values and deltas. */
    public static final String VALUES = "VALUES";
    /**
     * Spin-wait hints between two additions of {@code shared-faa} (a few microseconds): over shm
     * an addition takes nanoseconds, and unpaced the first writer would be done before the other
     * one is even scheduled.
     */
    static final int SHARED_FAA_PACING = 400;
    /** Pairs per {@link #VALUES} line. */
    static final int VALUES_PER_LINE = 500;
    /** Printed by {@code faa} when its additions are done. */
    public static final String DONE = "DONE";
    /** How long a hot echo spins after its last message before it sleeps in {@code await}. */
    static final long HOT_TIMEOUT_NANOS = 50_000_000L;

    private PeerMain() {
    }

    /** Entry point; see the class comment. */
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        try (Transport transport = Transports.open(args[1])) {
            switch (mode) {
                case "echo" -> echo(transport, args[2], new ConnectionSpec(Integer.parseInt(args[3]),
                        Integer.parseInt(args[4]), Integer.parseInt(args[5])), args[6].equals("hot"));
                case "faa" -> faa(transport, args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]));
                case "shared-faa" -> sharedFaa(transport, args[2], Integer.parseInt(args[3]), Long.parseLong(args[4]));
                case "idle" -> idle(transport, args[2]);
                default -> throw new IllegalArgumentException("unknown mode " + mode);
            }
        } catch (Throwable t) {
            System.out.println("FAILED " + t);
            t.printStackTrace(System.out);
            System.out.flush();
            System.exit(1);
        }
        System.out.flush();
        System.exit(0);
    }

    private static Connection connect(Transport transport, String address, ConnectionSpec spec) {
        Connection c = transport.connect(address, spec, Duration.ofSeconds(30));
        System.out.println(READY + " " + c.peerSpec());
        System.out.flush();
        return c;
    }

    private static void echo(Transport transport, String address, ConnectionSpec spec, boolean hot) {
        try (Connection c = connect(transport, address, spec)) {
            Completion done = new Completion();
            long lastWork = System.nanoTime();
            int idle = 0;
            while (true) {
                boolean got;
                if (hot && System.nanoTime() - lastWork < HOT_TIMEOUT_NANOS) {
                    got = c.poll(done);
                    if (!got && ++idle < 1_000) {
                        Thread.onSpinWait();
                    } else if (!got) {
                        Thread.yield(); // let the test side run on an overloaded machine
                    }
                } else {
                    got = c.await(done, 1_000_000_000L);
                }
                if (got) {
                    c.write(done.slot(), c.receiveSlot(done.slot()), 0, done.length(), done.immediate());
                    c.release(done.slot());
                    lastWork = System.nanoTime();
                    idle = 0;
                }
            }
        } catch (PeerFailedException expected) {
            System.out.println("PEER_CLOSED " + expected.getMessage());
        }
    }

    private static void faa(Transport transport, String address, int index, int count) throws Exception {
        try (Connection c = connect(transport, address, new ConnectionSpec(1, 64, 1))) {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String go = in.readLine();
            if (!"GO".equals(go)) {
                throw new IllegalStateException("expected GO on stdin, got " + go);
            }
            long last = -1;
            for (int i = 0; i < count; i++) {
                long previous = c.fetchAndAdd(index, 1);
                if (previous <= last) {
                    throw new IllegalStateException("fetch-and-add " + i + " returned " + previous
                            + " after " + last + ": the counter went backwards or an addition was lost");
                }
                last = previous;
            }
            System.out.println(DONE + " " + count + " last=" + last);
            System.out.flush();
            Completion done = new Completion();
            while (true) {
                if (c.await(done, 1_000_000_000L)) {
                    throw new IllegalStateException("unexpected write " + done);
                }
            }
        } catch (PeerFailedException expected) {
            System.out.println("PEER_CLOSED " + expected.getMessage());
        }
    }

    /** The delta of addition {@code i} of a {@code shared-faa} writer: 1 for the first half, then 1 to 8. */
    public static long sharedFaaDelta(int i, int count, long seed) {
        if (i < count / 2) {
            return 1;
        }
        long h = (seed + i) * 0x9E3779B97F4A7C15L;
        return 1 + ((h >>> 40) & 7);
    }

    private static void sharedFaa(Transport transport, String address, int count, long seed) throws Exception {
        try (Connection c = connect(transport, address, new ConnectionSpec(1, 64, 1))) {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String go = in.readLine();
            if (go == null || !go.startsWith("GO ")) {
                throw new IllegalStateException("expected GO START on stdin, got " + go);
            }
            long start = Long.parseLong(go.substring(3));
            long readAt = System.currentTimeMillis();
            long[] previous = new long[count];
            long sum = 0;
            while (System.currentTimeMillis() < start) {
                Thread.onSpinWait();
            }
            for (int i = 0; i < count; i++) {
                for (int spin = 0; spin < SHARED_FAA_PACING; spin++) {
                    Thread.onSpinWait();
                }
                long delta = sharedFaaDelta(i, count, seed);
                previous[i] = c.fetchAndAdd(0, delta);
                sum += delta;
                if (i > 0 && previous[i] <= previous[i - 1]) {
                    throw new IllegalStateException("fetch-and-add " + i + " returned " + previous[i] + " after "
                            + previous[i - 1] + ": the shared counter went backwards or an addition was lost");
                }
            }
            System.out.println("TIMING read GO " + (start - readAt) + " ms before the start, added for "
                    + (System.currentTimeMillis() - Math.max(start, readAt)) + " ms");
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < count; i++) {
                if (i % VALUES_PER_LINE == 0) {
                    if (i > 0) {
                        System.out.println(line);
                    }
                    line.setLength(0);
                    line.append(VALUES);
                }
                line.append(' ').append(previous[i]).append(':').append(sharedFaaDelta(i, count, seed));
            }
            if (count > 0) {
                System.out.println(line);
            }
            System.out.println(DONE + " " + count + " " + sum);
            System.out.flush();
            Completion done = new Completion();
            while (true) {
                if (c.await(done, 1_000_000_000L)) {
                    throw new IllegalStateException("unexpected write " + done);
                }
            }
        } catch (PeerFailedException expected) {
            System.out.println("PEER_CLOSED " + expected.getMessage());
        }
    }

    private static void idle(Transport transport, String address) throws Exception {
        try (Connection c = connect(transport, address, new ConnectionSpec(2, 4096, 1))) {
            // Block on stdin, not on the connection: the victim must not receive anything.
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            System.out.println("LEAVING " + c.peerDescription());
        }
    }
}
