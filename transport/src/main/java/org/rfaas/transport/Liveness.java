package org.rfaas.transport;

import java.time.Duration;

/**
 * How a connection tells a silent peer from a quiet one: each side sends something at least every
 * {@code heartbeatInterval} (a heartbeat when it has nothing else to send), and a peer from which
 * nothing arrived for {@code timeout} is declared lost, so that every pending and later call on the
 * connection fails with {@link PeerFailedException}. This covers what end of stream cannot: a host
 * whose link went down or that froze (no FIN ever arrives). A peer is lost at most
 * {@code timeout + heartbeatInterval} after its last sign of life, plus any time this process
 * itself could not run its liveness timer (such a pause is not held against the peer).
 *
 * <p>Each transport reads its own pair of properties ({@code <prefix>heartbeatIntervalMillis},
 * {@code <prefix>livenessTimeoutMillis}, e.g. {@code rfaas.tcp.}) through
 * {@link #fromSystemProperties(String)}; see docs/transport.md.
 *
 * @param heartbeatInterval how often a side that sent nothing else sends a heartbeat (default 250 ms)
 * @param timeout how long a peer may stay silent before it is lost (default 1500 ms); at least three
 *     heartbeat intervals, so that one late heartbeat never loses a live peer
 */
public record Liveness(Duration heartbeatInterval, Duration timeout) {
    /** Default {@link #heartbeatInterval}. */
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofMillis(250);
    /** Default {@link #timeout}: with the default interval a silent peer is lost within 1.75 s. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(1500);
    /** Suffix of the heartbeat interval property, in milliseconds. */
    public static final String INTERVAL_PROPERTY = "heartbeatIntervalMillis";
    /** Suffix of the timeout property, in milliseconds. */
    public static final String TIMEOUT_PROPERTY = "livenessTimeoutMillis";

    /** Validates the pair. */
    public Liveness {
        if (heartbeatInterval == null || timeout == null) {
            throw new IllegalArgumentException("heartbeat interval and liveness timeout are required");
        }
        if (heartbeatInterval.toMillis() < 1) {
            throw new IllegalArgumentException("heartbeat interval must be at least 1 ms, got " + heartbeatInterval);
        }
        // Three additions, not multipliedBy(3): that goes through BigDecimal, whose first use costs
        // ~30 ms of a fresh JVM (every executor and CLI process opens a transport).
        if (timeout.compareTo(heartbeatInterval.plus(heartbeatInterval).plus(heartbeatInterval)) < 0) {
            throw new IllegalArgumentException("liveness timeout " + timeout.toMillis()
                    + " ms must be at least three heartbeat intervals (" + heartbeatInterval.toMillis() + " ms)");
        }
    }

    /** The defaults. */
    public static Liveness defaults() {
        return new Liveness(DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_TIMEOUT);
    }

    /**
     * The defaults overridden by {@code prefix + INTERVAL_PROPERTY} and {@code prefix + TIMEOUT_PROPERTY}.
     *
     * @throws IllegalArgumentException when a property is not a number or the pair is invalid
     */
    public static Liveness fromSystemProperties(String prefix) {
        return new Liveness(millis(prefix + INTERVAL_PROPERTY, DEFAULT_HEARTBEAT_INTERVAL),
                millis(prefix + TIMEOUT_PROPERTY, DEFAULT_TIMEOUT));
    }

    private static Duration millis(String property, Duration otherwise) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            return otherwise;
        }
        try {
            return Duration.ofMillis(Long.parseLong(v.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + property + "=" + v + " is not a number of milliseconds", e);
        }
    }
}
