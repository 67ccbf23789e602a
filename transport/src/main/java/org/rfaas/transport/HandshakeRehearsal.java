package org.rfaas.transport;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * Rehearses a transport's connection handshake in this process: a connector thread connects to a
 * listener of this process and closes again, many times over, while the caller's thread accepts
 * and closes. Both sides of the handshake then run compiled code at a lease's cold start instead
 * of the interpreter. Measured in a fresh JVM on a 2-vCPU VM: an shm handshake took 0.5-0.8 ms of
 * the connector's CPU and 0.6-1.1 ms of the listener's for the first ones, 0.2 / 0.3 ms after 500
 * and 0.15 / 0.2 ms after 1,000; tcp's took 0.8-1.2 ms a side, then 0.1 ms. An executor's workers
 * and a client's listener otherwise meet each handshake once, interpreted.
 *
 * <p>Used by a spare executor while it waits (at idle CPU priority) and by a client's warm-up.
 */
public final class HandshakeRehearsal {
    /** Handshakes past the JIT's compile thresholds: a handshake's CPU time fell 3-5x by 500-1,000. */
    public static final int HANDSHAKES = 1_000;
    private static final long JOIN_MILLIS = 200;

    /**
     * How many handshakes are worth rehearsing over {@code transportName}: {@link #HANDSHAKES},
     * except over libfabric, whose connection set-up is the provider's native work (endpoints,
     * bounce buffers: 8-60 ms a connection here), not Java code the JIT could speed up.
     */
    public static int worthRehearsing(String transportName) {
        return transportName.startsWith("fabric") ? 0 : HANDSHAKES;
    }

    private HandshakeRehearsal() {
    }

    /**
     * Runs up to {@code count} handshakes between a listener of {@code transport} on
     * {@code listenAddress} with {@code listenerSpec} (accepting on the caller's thread) and a
     * connector thread with {@code connectorSpec}, until {@code stop} says so or {@code budget} is
     * over; each connection is closed at once, the listener at the end.
     *
     * @param idle run the connector thread at idle CPU priority ({@link ThreadPolicy#idle}); the
     *     caller sets its own thread's priority
     * @return handshakes completed on the listener's side
     * @throws TransportException when the listener or the connector fails
     */
    public static int run(Transport transport, String listenAddress, ConnectionSpec listenerSpec,
            ConnectionSpec connectorSpec, int count, Duration budget, BooleanSupplier stop, boolean idle) {
        if (count <= 0) {
            return 0;
        }
        long deadline = System.nanoTime() + budget.toNanos();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        // The connector ends when the accepting side does (enough, a stop, the budget, a failure).
        AtomicBoolean over = new AtomicBoolean();
        Semaphore accepted = new Semaphore(0);
        Semaphore closed = new Semaphore(0);
        Thread connector = null;
        Listener listener = transport.listen(listenAddress, listenerSpec);
        try {
            String address = listener.address();
            connector = Thread.ofPlatform().daemon().name("rfaas-handshake-rehearsal").start(() -> {
                if (idle) {
                    ThreadPolicy.idle();
                }
                try {
                    for (int i = 0; i < count && !over.get(); i++) {
                        Connection c = transport.connect(address, connectorSpec, budget);
                        try {
                            // Closed once the listener has it: some transports (fabric) finish
                            // the connector's side first, and an early close fails the accept.
                            await(accepted, () -> !over.get(), deadline);
                        } finally {
                            c.close();
                            closed.release();
                        }
                    }
                } catch (RuntimeException | InterruptedException e) {
                    if (!over.get()) {
                        failure.set(e instanceof RuntimeException r ? r
                                : new TransportException("the handshake rehearsal's connector was interrupted", e));
                    }
                }
            });
            Thread connecting = connector;
            int done = 0;
            while (done < count && !stop.getAsBoolean() && System.nanoTime() - deadline < 0) {
                Connection peer = listener.accept(Duration.ofMillis(20));
                if (peer != null) {
                    // The connector's end closes first, as a lease's worker's does: closing the
                    // listener's end first, with the connector's notice in flight, crashed
                    // libfabric 1.17 (ofi_rxm) in fi_close.
                    accepted.release();
                    await(closed, connecting::isAlive, deadline);
                    peer.close();
                    done++;
                } else if (failure.get() != null) {
                    throw new TransportException("the handshake rehearsal's connector failed: "
                            + failure.get().getMessage(), failure.get());
                } else if (!connector.isAlive()) {
                    break;
                }
            }
            return done;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException("interrupted while rehearsing handshakes", e);
        } finally {
            // Told before the listener goes, so that it dials no more.
            over.set(true);
            listener.close();
            if (connector != null) {
                // Mid-handshake when the listener closed, it fails at once; one that was dialling
                // meanwhile retries up to its timeout, holding nobody up (a daemon thread).
                try {
                    connector.join(JOIN_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Takes a permit of {@code permits}, unless {@code goOn} turns false or the deadline passes first. */
    private static void await(Semaphore permits, BooleanSupplier goOn, long deadline) throws InterruptedException {
        boolean done = false;
        while (!done && goOn.getAsBoolean() && System.nanoTime() - deadline < 0) {
            done = permits.tryAcquire(1, TimeUnit.MILLISECONDS);
        }
    }
}
