package org.rfaas.transport.tcp;

import java.time.Duration;
import org.rfaas.transport.Connection;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Liveness;

/**
 * Every tunable of the tcp transport, validated once; {@link #fromSystemProperties()} is the only
 * place that reads the {@code rfaas.tcp.*} system properties.
 *
 * @param handshakeTimeout how long {@link Listener#accept} waits for a connected peer's handshake
 *     before dropping it ({@code rfaas.tcp.handshakeTimeoutMillis}, default 5000)
 * @param fetchAndAddTimeout how long {@link Connection#fetchAndAdd} waits for the answer of a live
 *     peer that does not poll ({@code rfaas.tcp.fetchAndAddTimeoutMillis}, default 30000)
 * @param liveness heartbeats and the silence after which a peer is lost
 *     ({@code rfaas.tcp.heartbeatIntervalMillis}, default 250; {@code rfaas.tcp.livenessTimeoutMillis},
 *     default 1500)
 */
public record TcpContext(Duration handshakeTimeout, Duration fetchAndAddTimeout, Liveness liveness) {
    /** Prefix of the system properties. */
    public static final String PROPERTY_PREFIX = "rfaas.tcp.";

    /** Validates the tunables. */
    public TcpContext {
        positive(handshakeTimeout, "handshake timeout");
        positive(fetchAndAddTimeout, "fetch-and-add timeout");
        if (liveness == null) {
            throw new IllegalArgumentException("liveness settings are required");
        }
    }

    /** The given timeouts with the default {@link Liveness}. */
    public TcpContext(Duration handshakeTimeout, Duration fetchAndAddTimeout) {
        this(handshakeTimeout, fetchAndAddTimeout, Liveness.defaults());
    }

    /** The defaults, overridden by the system properties named above. */
    public static TcpContext fromSystemProperties() {
        return new TcpContext(
                Duration.ofMillis(Long.getLong(PROPERTY_PREFIX + "handshakeTimeoutMillis", 5_000)),
                Duration.ofMillis(Long.getLong(PROPERTY_PREFIX + "fetchAndAddTimeoutMillis", 30_000)),
                Liveness.fromSystemProperties(PROPERTY_PREFIX));
    }

    private static void positive(Duration d, String what) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + d);
        }
    }
}
