package org.rfaas.transport;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * Connections made to a loopback listener and dropped at once, many times over, so that the JIT
 * compiles the handshake on both ends before a lease needs it. A process runs its connection
 * handshake once per connection, so without this a lease's worker connections ran it in the
 * interpreter: over shm, 2.5-3.5 ms of an 8 ms cold start from a spare, where compiled code takes
 * ~0.3 ms (journal, cold start, 2026-12-07 fourth session). Spares rehearse the connecting end and
 * clients that ask for it the accepting end (both run here, in one process).
 *
 * <p>Not for libfabric transports, whose endpoints cost milliseconds each: {@link #run} makes
 * none there. Threads: the caller accepts, one thread of its own connects; it is joined before
 * {@link #run} returns.
 */
public final class HandshakeRehearsal {
    /** Past the JIT's first compile threshold (200 invocations) for code run once per connection. */
    public static final int DEFAULT_HANDSHAKES = 300;
    /** How long a spare or a client gives its rehearsal at most, per transport. */
    public static final Duration DEFAULT_BUDGET = Duration.ofSeconds(2);

    private HandshakeRehearsal() {
    }

    /** Whether {@link #run} makes connections over {@code transportName} ({@code shm}, {@code tcp}, not {@code fabric:*}). */
    public static boolean applies(String transportName) {
        return !transportName.startsWith("fabric");
    }

    /**
     * Makes up to {@code handshakes} connections with {@code connectorSpec} to {@code listener}
     * of {@code transport} ({@code transportName}), one at a time, closing both ends of each;
     * stops early once {@code stop} says so or {@code budget} has passed. Returns the connections
     * made (0 where {@link #applies} is false).
     *
     * @throws TransportException when a connection fails (the rehearsal ends there)
     */
    public static int run(Transport transport, String transportName, Listener listener, ConnectionSpec connectorSpec,
            int handshakes, Duration budget, BooleanSupplier stop) {
        if (!applies(transportName) || handshakes <= 0) {
            return 0;
        }
        long deadline = System.nanoTime() + budget.toNanos();
        String address = listener.address();
        Semaphore accepted = new Semaphore(0);
        AtomicInteger made = new AtomicInteger();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread connector = Thread.ofPlatform().daemon().name("rfaas-handshake-rehearsal").start(() -> {
            try {
                for (int i = 0; i < handshakes && !stop.getAsBoolean() && System.nanoTime() - deadline < 0; i++) {
                    transport.connect(address, connectorSpec, budget).close();
                    made.incrementAndGet();
                    // One at a time, as a lease's workers connect one after another.
                    if (!accepted.tryAcquire(Math.max(1, (deadline - System.nanoTime()) / 1_000_000),
                            TimeUnit.MILLISECONDS)) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                // stopped at the deadline
            } catch (RuntimeException e) {
                if (!stop.getAsBoolean() && System.nanoTime() - deadline < 0) {
                    failure.set(e);
                }
            }
        });
        try {
            while (connector.isAlive() && System.nanoTime() - deadline < 0) {
                Connection c = listener.accept(Duration.ofMillis(50));
                if (c != null) {
                    c.close();
                    accepted.release();
                }
            }
        } finally {
            connector.interrupt();
            try {
                connector.join(Math.max(1000, budget.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        RuntimeException f = failure.get();
        if (f != null) {
            throw f instanceof TransportException t ? t
                    : new TransportException("handshake rehearsal over " + transportName + " failed: " + f, f);
        }
        return made.get();
    }
}
