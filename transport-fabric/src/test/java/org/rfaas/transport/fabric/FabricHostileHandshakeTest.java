package org.rfaas.transport.fabric;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * Peers on a fabric:tcp listener's out-of-band socket that send nothing, send their HELLO a byte
 * at a time, send garbage, or open hundreds of connections hold up no other peer's handshake: a
 * well-behaved connect is accepted within 50 ms of its unloaded time, not after the others' 5 s
 * HELLO timeout (what the listener did while it read one HELLO at a time).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FabricHostileHandshakeTest {
    private static final ConnectionSpec SPEC = new ConnectionSpec(2, 256, 0);
    private Transport transport;
    private Listener listener;
    private final List<Socket> hostile = new ArrayList<>();
    private final LinkedBlockingQueue<Connection> accepted = new LinkedBlockingQueue<>();
    private final AtomicInteger rejected = new AtomicInteger();
    private volatile boolean accepting = true;
    private Thread acceptor;

    @BeforeEach
    void listen() {
        transport = Transports.open("fabric:tcp");
        listener = transport.listen("fabric:tcp://127.0.0.1:0", SPEC);
        // the accept loop as an executor manager runs it: rejected peers are logged and skipped
        acceptor = Thread.ofPlatform().daemon().start(() -> {
            while (accepting) {
                try {
                    Connection c = listener.accept(Duration.ofMillis(200));
                    if (c != null) {
                        accepted.add(c);
                    }
                } catch (ProtocolException e) {
                    rejected.incrementAndGet();
                } catch (RuntimeException e) {
                    return; // closed
                }
            }
        });
    }

    @AfterEach
    void close() throws Exception {
        accepting = false;
        acceptor.join(5_000);
        for (Socket s : hostile) {
            s.close();
        }
        listener.close();
        transport.close();
    }

    private Socket open() throws IOException {
        URI uri = URI.create(listener.address().substring("fabric:".length()));
        Socket s = new Socket();
        s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
        hostile.add(s);
        return s;
    }

    /** Connects a well-behaved peer and returns how long until the listener accepted it, in ms. */
    private long acceptWellBehaved() throws Exception {
        long t0 = System.nanoTime();
        try (Connection client = transport.connect(listener.address(), SPEC, Duration.ofSeconds(10));
             Connection server = accepted.poll(20, TimeUnit.SECONDS)) {
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertNotNull(server);
            assertEquals(SPEC, client.peerSpec());
            return ms;
        }
    }

    @Test
    void silentSlowAndGarblingPeersDoNotDelayAHandshake() throws Exception {
        acceptWellBehaved(); // the first opens the provider's domain
        long unloaded = acceptWellBehaved();
        for (int i = 0; i < 10; i++) {
            open(); // connect and say nothing
        }
        OutputStream slow = open().getOutputStream();
        Thread dribble = Thread.ofPlatform().daemon().start(() -> {
            byte[] hello = new byte[Hello.MAX_LENGTH];
            int n = Hello.encode(hello, Hello.TYPE_HELLO, new ConnectionSpec(1, 64, 0), 0, 128, 0, 0, 128,
                    new byte[16], "tcp;ofi_rxm");
            try {
                for (int i = 0; i < n; i++) {
                    slow.write(hello[i]);
                    slow.flush();
                    Thread.sleep(150);
                }
            } catch (IOException | InterruptedException e) {
                // the listener dropped it: expected once its deadline passed
            }
        });
        byte[] garbage = new byte[4096];
        new Random(18).nextBytes(garbage);
        for (int i = 0; i < 5; i++) {
            open().getOutputStream().write(garbage);
        }
        long ms = acceptWellBehaved();
        assertTrue(ms <= unloaded + 50, "a well-behaved fabric handshake took " + ms + " ms behind silent, slow and "
                + "garbling peers, " + unloaded + " ms alone");
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (rejected.get() < 5 && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertTrue(rejected.get() >= 5, "the garbling peers were rejected: " + rejected.get());
        dribble.interrupt();
    }

    @Test
    void aFloodOfConnectionsDoesNotDelayAHandshake() throws Exception {
        acceptWellBehaved();
        long unloaded = acceptWellBehaved();
        for (int i = 0; i < FabricListener.MAX_PENDING + 100; i++) { // more than kept: the oldest are dropped
            open();
        }
        long ms = acceptWellBehaved();
        assertTrue(ms <= unloaded + 50, "a well-behaved fabric handshake took " + ms + " ms behind a flood, "
                + unloaded + " ms alone");
    }
}
