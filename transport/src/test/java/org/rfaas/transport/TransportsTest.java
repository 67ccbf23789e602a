package org.rfaas.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void aRegisteredProviderAnswersBeforeTheClassPathAndTheFirstOfAScheme() {
        AtomicInteger first = new AtomicInteger();
        AtomicInteger second = new AtomicInteger();
        Transports.register(new CountingProvider("in-code", first), new CountingProvider("in-code", second));
        Transports.open("in-code:x").close();
        assertEquals(1, first.get());
        assertEquals(0, second.get());
        // A registered scheme also found on the class path: the registered provider answers (it
        // counts into OPENS too, as the class path's does, for the other tests of this JVM).
        AtomicInteger registered = new AtomicInteger();
        Transports.register(new CountingProvider("counting", registered, OPENS));
        Transports.open("counting:y").close();
        assertEquals(1, registered.get());
        List<String> schemes = Transports.schemes();
        assertEquals(1, schemes.stream().filter("counting"::equals).count(), schemes.toString());
        assertTrue(schemes.contains("in-code"), schemes.toString());
    }

    @Test
    void addressesNameTheirTransport() {
        assertEquals("fabric:tcp", Transports.transportOf("fabric:tcp://127.0.0.1:7000"));
        assertEquals("shm", Transports.transportOf("shm:/tmp/x.sock"));
        assertEquals("::1", Transports.hostOf("fabric:tcp://[::1]:7001"));
    }

    /** A transport that only counts its opens and closes. */
    public static final class CountingProvider implements TransportProvider {
        private final String scheme;
        private final AtomicInteger[] opens;

        /** The {@code counting} scheme of the class path's services, counting into {@link #OPENS}. */
        public CountingProvider() {
            this("counting", OPENS);
        }

        CountingProvider(String scheme, AtomicInteger... opens) {
            this.scheme = scheme;
            this.opens = opens;
        }

        @Override
        public String scheme() {
            return scheme;
        }

        @Override
        public Transport open(String variant) {
            for (AtomicInteger n : opens) {
                n.incrementAndGet();
            }
            return new Transport() {
                @Override
                public String name() {
                    return scheme + ":" + variant;
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
