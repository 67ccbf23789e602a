package org.rfaas.transport.testkit;

import java.time.Duration;
import org.rfaas.transport.ConnectionSpec;

/**
 * Provider-specific source of malformed input for {@link TransportConformanceTest}. It plays a
 * misbehaving peer of a listener by writing raw bytes that the provider's own code would never
 * produce. A provider that cannot inject a given corruption calls
 * {@link org.junit.jupiter.api.Assumptions#abort(String)} with the reason, which skips that case.
 */
@FunctionalInterface
public interface RawInjector {

    /**
     * Connects to {@code listenerAddress} as a raw peer and sends {@code corruption}. Returns once
     * the bad bytes are on their way; the returned peer stays connected until closed.
     *
     * @param listenerSpec what the listener registers (to build, for instance, an oversized write)
     * @param seed for random bytes, so a failure can be reproduced
     */
    RawPeer inject(String listenerAddress, ConnectionSpec listenerSpec, Corruption corruption, long seed)
            throws Exception;

    /** The misbehaving end of a connection. */
    interface RawPeer extends AutoCloseable {

        /**
         * Waits until the listener side has closed this connection (for a socket: end of stream
         * or reset, after skipping whatever it sent first).
         *
         * @return {@code false} when the connection was still open after {@code timeout}
         */
        boolean awaitClosedByListener(Duration timeout) throws Exception;

        @Override
        void close() throws java.io.IOException;
    }
}
