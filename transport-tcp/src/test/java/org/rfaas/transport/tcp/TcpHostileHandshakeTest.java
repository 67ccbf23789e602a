package org.rfaas.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.testkit.AcceptLoop;

/**
 * Peers that open a connection and then send nothing, send their handshake a byte at a time, or
 * open hundreds of connections hold up no other peer's handshake: a well-behaved connect is
 * accepted within 50 ms of its own handshake, not after the others' handshake timeout (5 s here).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TcpHostileHandshakeTest {
    private static final ConnectionSpec SPEC = new ConnectionSpec(2, 256, 0);
    private TcpTransport transport;
    private Listener listener;
    private final List<Socket> hostile = new ArrayList<>();

    private AcceptLoop loop;

    @BeforeEach
    void listen() {
        transport = new TcpTransport(new TcpContext(Duration.ofSeconds(5), Duration.ofSeconds(5)));
        listener = transport.listen("tcp://127.0.0.1:0", SPEC);
    }

    @AfterEach
    void close() throws Exception {
        if (loop != null) {
            loop.close();
        }
        for (Socket s : hostile) {
            s.close();
        }
        listener.close();
        transport.close();
    }

    private Socket open() throws IOException {
        Socket s = new Socket();
        s.connect(TcpAddress.parse(listener.address()), 10_000);
        hostile.add(s);
        return s;
    }

    private void startAcceptLoop() {
        loop = new AcceptLoop(transport, listener);
    }

    @Test
    void silentAndSlowPeersDoNotDelayAHandshake() throws Exception {
        startAcceptLoop();
        long unloaded = loop.acceptWellBehaved(SPEC);
        for (int i = 0; i < 10; i++) {
            open(); // connect and say nothing
        }
        Socket slow = open();
        OutputStream out = slow.getOutputStream();
        Thread dribble = Thread.ofPlatform().daemon().start(() -> {
            byte[] handshake = TcpRawInjector.handshake(new ConnectionSpec(1, 64, 0));
            try {
                for (byte b : handshake) {
                    out.write(b);
                    out.flush();
                    Thread.sleep(150);
                }
            } catch (IOException | InterruptedException e) {
                // the listener dropped it: expected once its deadline passed
            }
        });
        long ms = loop.acceptWellBehaved(SPEC);
        System.out.println(String.format("tcp handshake: alone %d ms, beside hostile peers %d ms", unloaded, ms));
        assertTrue(ms <= unloaded + 50, "a well-behaved handshake took " + ms + " ms behind silent and slow peers, "
                + unloaded + " ms alone");
        dribble.interrupt();
    }

    @Test
    void aFloodOfConnectionsDoesNotDelayAHandshake() throws Exception {
        startAcceptLoop();
        long unloaded = loop.acceptWellBehaved(SPEC);
        for (int i = 0; i < 400; i++) { // more than the listener keeps: the oldest are dropped
            open();
        }
        long ms = loop.acceptWellBehaved(SPEC);
        System.out.println(String.format("tcp handshake: alone %d ms, beside hostile peers %d ms", unloaded, ms));
        assertTrue(ms <= unloaded + 50, "a well-behaved handshake took " + ms + " ms behind a flood, " + unloaded
                + " ms alone");
    }

    @Test
    void aFloodFromOneAddressDoesNotPushOutAnotherAddresssHandshake() throws Exception {
        startAcceptLoop();
        // a legitimate peer on 127.0.0.1, half-way through its handshake
        Socket legit = open();
        byte[] handshake = TcpRawInjector.handshake(new ConnectionSpec(1, 64, 0));
        OutputStream out = legit.getOutputStream();
        out.write(handshake, 0, handshake.length / 2);
        out.flush();
        Thread.sleep(100); // taken in by the listener before the flood
        // more unfinished handshakes from 127.0.0.2 than the listener keeps in all
        java.net.InetAddress other = java.net.InetAddress.getByName("127.0.0.2");
        for (int i = 0; i < TcpListener.MAX_PENDING + 50; i++) {
            Socket s = new Socket();
            s.bind(new java.net.InetSocketAddress(other, 0));
            s.connect(TcpAddress.parse(listener.address()), 10_000);
            hostile.add(s);
        }
        Thread.sleep(200);
        out.write(handshake, handshake.length / 2, handshake.length - handshake.length / 2);
        out.flush();
        legit.setSoTimeout(5_000);
        byte[] reply = legit.getInputStream().readNBytes(Frame.LENGTH);
        assertEquals(Frame.LENGTH, reply.length, "the listener answered the legitimate handshake");
        assertEquals(Frame.HANDSHAKE, reply[Frame.TYPE_OFFSET], "with its own HANDSHAKE");
        assertNotNull(loop.nextAccepted(Duration.ofSeconds(5)));
    }
}
