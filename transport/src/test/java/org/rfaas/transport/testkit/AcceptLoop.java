package org.rfaas.transport.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Transport;

/**
 * A listener's accept loop as an executor manager runs it (accept with a short timeout, rejected
 * peers counted and skipped), and a well-behaved peer whose connect it times: what the
 * hostile-handshake tests of every transport measure beside their silent, slow and garbling peers.
 */
public final class AcceptLoop implements AutoCloseable {
    private final Transport transport;
    private final Listener listener;
    private final LinkedBlockingQueue<Connection> accepted = new LinkedBlockingQueue<>();
    private final AtomicInteger rejected = new AtomicInteger();
    private volatile boolean accepting = true;
    private final Thread thread;

    /** Starts accepting on {@code listener}. */
    public AcceptLoop(Transport transport, Listener listener) {
        this.transport = transport;
        this.listener = listener;
        thread = Thread.ofPlatform().daemon().name("accept-loop").start(() -> {
            while (accepting) {
                try {
                    Connection c = listener.accept(Duration.ofMillis(200));
                    if (c != null) {
                        accepted.add(c);
                    }
                } catch (ProtocolException e) {
                    rejected.incrementAndGet(); // a hostile peer dropped; go on
                } catch (RuntimeException e) {
                    return; // closed
                }
            }
        });
    }

    /** Connects a well-behaved peer with {@code spec}; returns how long until the listener accepted it, in ms. */
    public long acceptWellBehaved(ConnectionSpec spec) throws InterruptedException {
        long t0 = System.nanoTime();
        try (Connection client = transport.connect(listener.address(), spec, Duration.ofSeconds(10));
             Connection server = accepted.poll(20, TimeUnit.SECONDS)) {
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertNotNull(server, "the listener accepted the well-behaved peer");
            assertEquals(spec, client.peerSpec());
            return ms;
        }
    }

    /** Waits up to {@code max} for the next accepted connection; null when none came. */
    public Connection nextAccepted(Duration max) throws InterruptedException {
        return accepted.poll(max.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits up to {@code max} until {@code n} peers were rejected; returns how many were. */
    public int awaitRejected(int n, Duration max) throws InterruptedException {
        long until = System.nanoTime() + max.toNanos();
        while (rejected.get() < n && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        return rejected.get();
    }

    /** Stops accepting (the listener stays open). */
    @Override
    public void close() throws InterruptedException {
        accepting = false;
        thread.join(5_000);
        accepted.forEach(Connection::close);
    }
}
