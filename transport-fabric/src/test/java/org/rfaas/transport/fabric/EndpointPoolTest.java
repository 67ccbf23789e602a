package org.rfaas.transport.fabric;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transports;

/**
 * Endpoints opened ahead of their connections ({@link EndpointPool}): a listener keeps one ready
 * for its next connector, {@code keepPrepared} keeps them for connections a process will make, a
 * handshake adopts them, and what is no longer wanted is not kept.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EndpointPoolTest {
    private static final ConnectionSpec SPEC = new ConnectionSpec(2, 1024, 0);
    private static final InetAddress LOOPBACK = InetAddress.ofLiteral("127.0.0.1");

    /** Endpoints of {@link #SPEC}'s kind ready in the loopback domain of {@code t}. */
    private static IntSupplier ready(FabricTransport t) {
        FabricDomain d = t.domainFor(LOOPBACK);
        FabricCapabilities.WarmWait w = d.caps.warmWaitMode();
        return () -> d.pool.ready(w == FabricCapabilities.WarmWait.CQ, w == FabricCapabilities.WarmWait.ENDPOINT,
                PreparedEndpoint.rxCqSize(SPEC.slots()));
    }

    private static void await(IntSupplier count, int want, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (count.getAsInt() != want) {
            assertTrue(System.nanoTime() < deadline, what + ": " + count.getAsInt() + " ready, want " + want);
            Thread.sleep(10);
        }
    }

    /** Connects through {@code connectorSide} (a transport of its own: its own pools) to {@code l}. */
    private static FabricConnection[] connectPair(FabricTransport connectorSide, Listener l) {
        CompletableFuture<FabricConnection> accepted = CompletableFuture.supplyAsync(
                () -> (FabricConnection) l.accept(Duration.ofSeconds(30)));
        FabricConnection connector = (FabricConnection) connectorSide.connect(l.address(), SPEC,
                Duration.ofSeconds(30));
        return new FabricConnection[] {connector, accepted.join()};
    }

    @Test
    void aListenerKeepsOneEndpointReadyAndItsConnectionsAdoptIt() throws Exception {
        try (FabricTransport t = (FabricTransport) Transports.open("fabric:tcp");
             FabricTransport client = (FabricTransport) Transports.open("fabric:tcp")) {
            IntSupplier ready = ready(t);
            Listener l = t.listen("fabric:tcp://127.0.0.1:0", SPEC);
            await(ready, 1, "after listen");
            for (int i = 0; i < 2; i++) {
                FabricConnection[] pair = connectPair(client, l);
                assertTrue(pair[1].preparedEndpoint(), "connection " + i + ": the accepted side adopted the endpoint");
                assertFalse(pair[0].preparedEndpoint(), "nothing was kept for the connector");
                await(ready, 1, "refilled after connection " + i);
                pair[0].close();
                pair[1].close();
            }
            l.close();
            assertEquals(0, ready.getAsInt(), "a closed listener's endpoint is not kept");
        }
    }

    @Test
    void keepPreparedServesTheConnectorAndZeroStopsTheRefills() throws Exception {
        try (FabricTransport t = (FabricTransport) Transports.open("fabric:tcp");
             FabricTransport server = (FabricTransport) Transports.open("fabric:tcp")) {
            IntSupplier ready = ready(t);
            Listener l = server.listen("fabric:tcp://127.0.0.1:0", SPEC);
            t.keepPrepared("127.0.0.1", SPEC, 1);
            await(ready, 1, "kept");
            FabricConnection[] pair = connectPair(t, l);
            assertTrue(pair[0].preparedEndpoint(), "the connector adopted the kept endpoint");
            await(ready, 1, "refilled");

            t.keepPrepared("127.0.0.1", SPEC, 0);
            assertEquals(1, ready.getAsInt(), "stopping the refills closes nothing ready");
            FabricConnection[] second = connectPair(t, l);
            assertTrue(second[0].preparedEndpoint(), "the ready endpoint still serves the next connection");
            Thread.sleep(500); // a refill, if one started, takes ~50 ms here
            assertEquals(0, ready.getAsInt(), "no refill once the count is 0");
            FabricConnection[] third = connectPair(t, l);
            assertFalse(third[0].preparedEndpoint(), "nothing ready: the connector opened its own");
            for (FabricConnection[] p : new FabricConnection[][] {pair, second, third}) {
                p[0].close();
                p[1].close();
            }
            l.close();
        }
    }

    @Test
    void aWildcardListenerOfASocketProviderPreparesNothing() throws Exception {
        try (FabricTransport t = (FabricTransport) Transports.open("fabric:tcp")) {
            Listener l = t.listen("fabric:tcp://0.0.0.0:0", SPEC);
            IntSupplier ready = ready(t);
            Thread.sleep(300);
            assertEquals(0, ready.getAsInt(), "its connections' domain is known only per connection");
            l.close();
        }
    }

    @Test
    void aConnectionsCqSizeIsAPowerOfTwoOfAtLeast128() {
        assertEquals(128, PreparedEndpoint.rxCqSize(1));
        assertEquals(128, PreparedEndpoint.rxCqSize(64));
        assertEquals(256, PreparedEndpoint.rxCqSize(65));
        assertEquals(256, PreparedEndpoint.rxCqSize(128));
        assertEquals(512, PreparedEndpoint.rxCqSize(129));
    }
}
