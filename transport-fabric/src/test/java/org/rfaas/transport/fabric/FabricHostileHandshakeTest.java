package org.rfaas.transport.fabric;

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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;
import org.rfaas.transport.testkit.AcceptLoop;

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
    private AcceptLoop loop;

    @BeforeEach
    void listen() {
        transport = Transports.open("fabric:tcp");
        listener = transport.listen("fabric:tcp://127.0.0.1:0", SPEC);
        loop = new AcceptLoop(transport, listener);
    }

    @AfterEach
    void close() throws Exception {
        loop.close();
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

    @Test
    void silentSlowAndGarblingPeersDoNotDelayAHandshake() throws Exception {
        loop.acceptWellBehaved(SPEC); // the first opens the provider's domain
        long unloaded = 0; // the slowest of three, as below: one alone ranges from ~12 to ~100 ms here
        for (int i = 0; i < 3; i++) {
            unloaded = Math.max(unloaded, loop.acceptWellBehaved(SPEC));
        }
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
        long ms = loop.acceptWellBehaved(SPEC);
        System.out.println(String.format("fabric:tcp handshake: alone %d ms, beside hostile peers %d ms", unloaded, ms));
        // What this guards against is the accept loop held by a hostile peer: up to the listener's
        // 5 s handshake deadline for each silent or dribbling one. The margin of one more handshake
        // and the floor as below: a CI run measured 108 ms here against 48 ms for one handshake alone.
        long bound = Math.max(2 * unloaded + 50, 500);
        assertTrue(ms <= bound, "a well-behaved fabric handshake took " + ms + " ms behind silent, slow and "
                + "garbling peers, " + unloaded + " ms alone (bound " + bound + " ms)");
        int rejected = loop.awaitRejected(5, Duration.ofSeconds(5));
        assertTrue(rejected >= 5, "the garbling peers were rejected: " + rejected);
        dribble.interrupt();
    }

    @Test
    void peersThatStopAfterAWholeHelloDoNotDelayAHandshake() throws Exception {
        loop.acceptWellBehaved(SPEC);
        // The slowest of three: one handshake alone ranges from ~12 to ~100 ms here (with or
        // without an endpoint the pool prepared, a warm-up that waits for ofi_rxm's connection).
        long unloaded = 0;
        for (int i = 0; i < 3; i++) {
            unloaded = Math.max(unloaded, loop.acceptWellBehaved(SPEC));
        }
        // Well-formed HELLOs (an endpoint is opened for each) naming as their endpoint a TCP port
        // that accepts and never speaks: the provider connects there and no warm-up message ever
        // comes, so each handshake waits out its warm-up timeout.
        java.net.ServerSocket mute = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        byte[] sockaddr = new byte[16]; // sockaddr_in: family (host order), port (network order), 127.0.0.1
        sockaddr[0] = 2;
        sockaddr[2] = (byte) (mute.getLocalPort() >> 8);
        sockaddr[3] = (byte) mute.getLocalPort();
        sockaddr[4] = 127;
        sockaddr[7] = 1;
        for (int i = 0; i < 3; i++) {
            byte[] hello = new byte[Hello.MAX_LENGTH];
            int n = Hello.encode(hello, Hello.TYPE_HELLO, new ConnectionSpec(1, 64, 0), 0, 128, 0, 0, 128,
                    sockaddr, "tcp;ofi_rxm");
            open().getOutputStream().write(hello, 0, n);
        }
        Thread.sleep(100); // their HELLOs are in, their handshakes under way
        long ms = loop.acceptWellBehaved(SPEC);
        // The unloaded handshakes found endpoints the pool opened ahead of them; this one may not
        // (the stalled peers took them), so it is held to an unprepared handshake: the unloaded
        // one plus opening its two sides' endpoints.
        long unprepared = unloaded + 2 * endpointOpenMillis();
        System.out.println(String.format("fabric:tcp handshake: alone %d ms (%d ms unprepared), beside stalled"
                + " handshakes %d ms", unloaded, unprepared, ms));
        // What this guards against is the accept loop held by a stalled handshake's warm-up (seconds
        // each; 4.5 s for three on the old listener). The three stalled handshakes still open an
        // endpoint each, real CPU work beside the measured one on two cores: on a busy machine that
        // alone took the measured handshake from 108 to 173 ms, hence the margin of one more handshake.
        // The floor: the unloaded handshakes can all be quick (26 ms in one CI run, whose measured one
        // then took 148 ms), while one stalled warm-up holding the loop would cost seconds.
        long bound = Math.max(2 * unprepared + 50, 500);
        assertTrue(ms <= bound, "a well-behaved fabric handshake took " + ms + " ms behind peers that "
                + "stopped after their HELLO, " + unloaded + " ms alone (" + unprepared + " ms unprepared, bound "
                + bound + " ms)");
        mute.close();
    }

    /** How long opening one endpoint of the listener's kind takes here (the pool's work, timed once). */
    private long endpointOpenMillis() {
        FabricDomain d = ((FabricTransport) transport).domainFor(java.net.InetAddress.getLoopbackAddress());
        FabricCapabilities.WarmWait w = d.caps.warmWaitMode();
        long start = System.nanoTime();
        PreparedEndpoint.open(d, w == FabricCapabilities.WarmWait.CQ, w == FabricCapabilities.WarmWait.ENDPOINT,
                PreparedEndpoint.rxCqSize(SPEC.slots())).close();
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    @Test
    void aFloodOfConnectionsDoesNotDelayAHandshake() throws Exception {
        loop.acceptWellBehaved(SPEC);
        long unloaded = 0; // the slowest of three, as in the cases above
        for (int i = 0; i < 3; i++) {
            unloaded = Math.max(unloaded, loop.acceptWellBehaved(SPEC));
        }
        for (int i = 0; i < FabricListener.MAX_PENDING + 100; i++) { // more than kept: the oldest are dropped
            open();
        }
        long ms = loop.acceptWellBehaved(SPEC);
        System.out.println(String.format("fabric:tcp handshake: alone %d ms, beside hostile peers %d ms", unloaded, ms));
        // What this guards against is the accept loop held by the flood (seconds). Accepting and
        // dropping ~350 connections is CPU work on the same two cores as the measured handshake
        // (a run beside a build: 131 ms against 77 ms alone), hence the margin of one more handshake,
        // and the 500 ms floor of the cases above (CI: 71 ms against one 10 ms handshake alone).
        long bound = Math.max(2 * unloaded + 50, 500);
        assertTrue(ms <= bound, "a well-behaved fabric handshake took " + ms + " ms behind a flood, "
                + unloaded + " ms alone (bound " + bound + " ms)");
    }
}
