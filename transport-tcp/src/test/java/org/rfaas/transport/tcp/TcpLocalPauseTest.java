package org.rfaas.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Liveness;
import org.rfaas.transport.testkit.LivenessTimerPause;

/**
 * A pause of this process (here: the process's liveness timer thread held for 2 s, as a host's
 * paused vCPUs or a starved timer thread hold it) is not held against a peer that was paused with
 * it: the peer, a plain socket that sends a HEARTBEAT every 50 ms, falls silent two heartbeat
 * intervals before the pause (so that this side has seen all it sent) until 200 ms after it, and
 * its connection stays open (it was lost at the pause's end before). A peer that stays silent after
 * the pause is still lost within the liveness bound, counted from the pause's end.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpLocalPauseTest {
    private static final Duration INTERVAL = Duration.ofMillis(100);
    private static final Duration TIMEOUT = Duration.ofMillis(1_000);
    private static final Duration PAUSE = Duration.ofSeconds(2);
    private static final ConnectionSpec SPEC = new ConnectionSpec(1, 64, 0);

    private TcpTransport transport;
    private Listener listener;
    private Socket peer;
    private Connection connection;
    private Thread beats;
    private final AtomicBoolean beating = new AtomicBoolean(true);

    @BeforeEach
    void connect() throws IOException {
        transport = new TcpTransport(new TcpContext(Duration.ofSeconds(5), Duration.ofSeconds(5), new Liveness(INTERVAL, TIMEOUT)));
        listener = transport.listen("tcp://127.0.0.1:0", SPEC);
        peer = new Socket();
        peer.setTcpNoDelay(true);
        peer.connect(TcpAddress.parse(listener.address()), 10_000);
        peer.getOutputStream().write(TcpRawInjector.handshake(SPEC));
        connection = listener.accept(Duration.ofSeconds(10));
        assertNotNull(connection);
        OutputStream out = peer.getOutputStream();
        byte[] heartbeat = TcpRawInjector.header(RawListenerFixture.MAGIC, 1, Frame.HEARTBEAT, 0, 0, 0, 0);
        beats = Thread.ofPlatform().daemon().name("raw-peer-heartbeats").start(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    if (beating.get()) {
                        out.write(heartbeat);
                    }
                    Thread.sleep(50);
                }
            } catch (IOException | InterruptedException e) {
                // closed
            }
        });
    }

    @AfterEach
    void close() throws IOException {
        beats.interrupt();
        peer.close();
        connection.close();
        listener.close();
        transport.close();
    }

    @Test
    void aPeerPausedWithThisProcessIsKept() throws Exception {
        Thread.sleep(500);
        assertTrue(connection.isOpen(), "the beating peer was lost before the pause");
        fallSilent();
        long pauseEnded = LivenessTimerPause.hold(PAUSE);
        Thread.sleep(Math.max(0, 200 - (System.nanoTime() - pauseEnded) / 1_000_000));
        beating.set(true);
        Thread.sleep(1_500);
        assertTrue(connection.isOpen(), "a peer silent only while this process was paused (and 200 ms after) was lost");
    }

    @Test
    void aPeerSilentAfterThePauseIsStillLost() throws Exception {
        Thread.sleep(500);
        fallSilent();
        long pauseEnded = LivenessTimerPause.hold(PAUSE);
        long deadline = pauseEnded + TIMEOUT.plus(INTERVAL).plusMillis(400).toNanos();
        while (connection.isOpen() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        long millis = (System.nanoTime() - pauseEnded) / 1_000_000;
        assertFalse(connection.isOpen(), "a peer silent since before the pause still open " + millis + " ms after it");
    }

    /** The peer stops sending; returns once this side's liveness has run twice since (seen all it sent). */
    private void fallSilent() throws InterruptedException {
        beating.set(false);
        Thread.sleep(2 * INTERVAL.toMillis() + 60);
    }
}
