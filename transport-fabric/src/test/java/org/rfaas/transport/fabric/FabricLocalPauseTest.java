package org.rfaas.transport.fabric;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Liveness;
import org.rfaas.transport.testkit.LivenessTimerPause;

/**
 * A pause of this process is not held against a fabric peer paused with it: both ends of a
 * fabric:tcp connection live in this JVM, whose liveness timer (every heartbeat of both) is held
 * for 2.5 s, longer than the 1 s liveness timeout their out-of-band readers wait. Both readers time
 * out during the pause and, seeing the timer behind its schedule, wait again; once the timer runs,
 * the heartbeats resume and both ends stay open and usable (both were lost before). That a peer
 * silent while this process runs on schedule is still lost is the conformance kit's
 * {@code silentPeerIsLostWithinTheLivenessBound}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FabricLocalPauseTest {
    private static final ConnectionSpec SPEC = new ConnectionSpec(2, 256, 0);

    @Test
    void aPeerPausedWithThisProcessIsKept() throws Exception {
        FabricContext context = new FabricContext(new Liveness(Duration.ofMillis(100), Duration.ofSeconds(1)),
                "auto", "auto", "auto", 50, false, true);
        try (FabricTransport transport = new FabricTransport("tcp", context);
                Listener listener = transport.listen("fabric:tcp://127.0.0.1:0", SPEC)) {
            CompletableFuture<Connection> dialled = CompletableFuture.supplyAsync(
                    () -> transport.connect(listener.address(), SPEC, Duration.ofSeconds(20)));
            try (Connection accepted = listener.accept(Duration.ofSeconds(20));
                    Connection client = dialled.get(20, TimeUnit.SECONDS)) {
                assertNotNull(accepted);
                Thread.sleep(300);
                assertTrue(accepted.isOpen() && client.isOpen(), "lost before the pause");
                LivenessTimerPause.hold(Duration.ofMillis(2_500));
                Thread.sleep(1_500);
                assertTrue(accepted.isOpen(), "the dialling peer, paused with this process, was lost");
                assertTrue(client.isOpen(), "the accepting peer, paused with this process, was lost");
                MemorySegment buf = client.allocateBuffer(64);
                client.write(0, buf, 0, 64, 7);
                Completion c = new Completion();
                assertTrue(accepted.await(c, TimeUnit.SECONDS.toNanos(10)), "nothing arrived after the pause");
                assertEquals(7, c.immediate(), "the connection works after the pause");
            }
        }
    }
}
