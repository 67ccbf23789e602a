package org.rfaas.transport.shm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.testkit.AcceptLoop;

/**
 * Peers on the shm listener's socket that send nothing, send their HELLO a byte at a time, send
 * garbage, or open hundreds of connections hold up no other peer's handshake: a well-behaved
 * connect is accepted within 50 ms of its unloaded time, not after the others' 5 s timeout (which
 * is what the listener did while it handshook one peer at a time).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ShmHostileHandshakeTest {
    private static final ConnectionSpec SPEC = new ConnectionSpec(2, 256, 0);
    private final ShmTransport transport = new ShmTransport();
    private Listener listener;
    private final List<SocketChannel> hostile = new ArrayList<>();
    private AcceptLoop loop;

    @BeforeEach
    void listen() {
        listener = transport.listen("shm:", SPEC);
        loop = new AcceptLoop(transport, listener);
    }

    @AfterEach
    void close() throws Exception {
        loop.close();
        for (SocketChannel s : hostile) {
            s.close();
        }
        listener.close();
        transport.close();
    }

    private SocketChannel open() throws IOException {
        SocketChannel s = SocketChannel.open(StandardProtocolFamily.UNIX);
        s.connect(UnixDomainSocketAddress.of(ShmTransport.pathOf(listener.address(), false)));
        hostile.add(s);
        return s;
    }

    @Test
    void silentSlowAndGarblingPeersDoNotDelayAHandshake() throws Exception {
        long unloaded = loop.acceptWellBehaved(SPEC);
        for (int i = 0; i < 10; i++) {
            open(); // connect and say nothing
        }
        SocketChannel slow = open();
        Thread dribble = Thread.ofPlatform().daemon().start(() -> {
            ByteBuffer hello = ShmHandshake.hello(new ConnectionSpec(1, 64, 0));
            try {
                while (hello.hasRemaining()) {
                    slow.write(hello.slice(hello.position(), 1));
                    hello.position(hello.position() + 1);
                    Thread.sleep(150);
                }
            } catch (IOException | InterruptedException e) {
                // the listener dropped it: expected once its deadline passed
            }
        });
        byte[] garbage = new byte[4096];
        new Random(18).nextBytes(garbage);
        for (int i = 0; i < 5; i++) {
            open().write(ByteBuffer.wrap(garbage));
        }
        long ms = loop.acceptWellBehaved(SPEC);
        System.out.println(String.format("shm handshake: alone %d ms, beside hostile peers %d ms", unloaded, ms));
        assertTrue(ms <= unloaded + 50, "a well-behaved shm handshake took " + ms + " ms behind silent, slow and "
                + "garbling peers, " + unloaded + " ms alone");
        int rejected = loop.awaitRejected(5, Duration.ofSeconds(5));
        assertTrue(rejected >= 5, "the garbling peers were rejected: " + rejected);
        dribble.interrupt();
    }

    @Test
    void aFloodOfConnectionsDoesNotDelayAHandshake() throws Exception {
        long unloaded = loop.acceptWellBehaved(SPEC);
        for (int i = 0; i < ShmListener.MAX_PENDING + 100; i++) { // more than the listener keeps: the oldest go
            open();
        }
        long ms = loop.acceptWellBehaved(SPEC);
        System.out.println(String.format("shm handshake: alone %d ms, beside hostile peers %d ms", unloaded, ms));
        assertTrue(ms <= unloaded + 50, "a well-behaved shm handshake took " + ms + " ms behind a flood, " + unloaded
                + " ms alone");
    }
}
