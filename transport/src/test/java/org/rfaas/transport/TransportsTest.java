package org.rfaas.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TransportsTest {
    /** Opens and closes of the {@code counting} scheme (registered for this module's tests only). */
    static final AtomicInteger OPENS = new AtomicInteger();
    static final AtomicInteger CLOSES = new AtomicInteger();

    @Test
    void preloadOpensAndClosesEachNamedTransportOnItsOwnThreadAndOutlivesOneThatFails() throws Exception {
        int opens = OPENS.get();
        int closes = CLOSES.get();
        Thread t = Transports.preload(List.of("no-such-transport", "counting:a", "counting:b"));
        assertEquals("rfaas-transport-preload", t.getName());
        t.join(10_000);
        assertFalse(t.isAlive());
        assertEquals(opens + 2, OPENS.get());
        assertEquals(closes + 2, CLOSES.get());
        assertThrows(TransportException.class, () -> Transports.open("no-such-transport"));
    }

    @Test
    void addressesNameTheirTransport() {
        assertEquals("fabric:tcp", Transports.transportOf("fabric:tcp://127.0.0.1:7000"));
        assertEquals("shm", Transports.transportOf("shm:/tmp/x.sock"));
        assertEquals("::1", Transports.hostOf("fabric:tcp://[::1]:7001"));
    }

    /** A transport that only counts its opens and closes. */
    public static final class CountingProvider implements TransportProvider {
        @Override
        public String scheme() {
            return "counting";
        }

        @Override
        public Transport open(String variant) {
            OPENS.incrementAndGet();
            return new Transport() {
                @Override
                public String name() {
                    return "counting:" + variant;
                }

                @Override
                public Listener listen(String address, ConnectionSpec local) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public Connection connect(String address, ConnectionSpec local, Duration timeout) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void close() {
                    CLOSES.incrementAndGet();
                }
            };
        }
    }
}
