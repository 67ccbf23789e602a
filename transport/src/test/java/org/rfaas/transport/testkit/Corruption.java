package org.rfaas.transport.testkit;

import org.rfaas.transport.ProtocolError;

/**
 * A malformed input that a {@link RawInjector} sends to a listener. Each constant names what the
 * listener must report: {@link #expected()} is the {@link ProtocolError}, or {@code null} when any
 * protocol error is acceptable (random garbage may trip any check first).
 */
public enum Corruption {
    /** A handshake whose first two bytes are not {@link org.rfaas.transport.Wire#MAGIC}. */
    HANDSHAKE_WRONG_MAGIC(ProtocolError.BAD_MAGIC),
    /** The first part of a valid handshake, then end of stream. */
    HANDSHAKE_TRUNCATED(ProtocolError.TRUNCATED),
    /** A well-formed handshake announcing an invalid spec (zero slots). */
    HANDSHAKE_BAD_SPEC(ProtocolError.BAD_HANDSHAKE),
    /** Random bytes instead of a handshake. */
    HANDSHAKE_GARBAGE(null),
    /** A valid handshake, then a write whose header does not start with the magic. */
    FRAME_WRONG_MAGIC(ProtocolError.BAD_MAGIC),
    /** A valid handshake, then a write announcing more bytes than it carries, then end of stream. */
    FRAME_TRUNCATED(ProtocolError.TRUNCATED),
    /** A valid handshake, then a write larger than the listener's slot size. */
    FRAME_OVERSIZED(ProtocolError.OVERSIZED),
    /** A valid handshake, then a write into a slot the listener did not register. */
    FRAME_BAD_SLOT(ProtocolError.BAD_INDEX),
    /** A valid handshake, then random bytes. */
    FRAME_GARBAGE(null);

    private final ProtocolError expected;

    Corruption(ProtocolError expected) {
        this.expected = expected;
    }

    /** The error the listener side must report, or {@code null} for "any protocol error". */
    public ProtocolError expected() {
        return expected;
    }

    /** Whether the corruption happens before the connection is established. */
    public boolean duringHandshake() {
        return name().startsWith("HANDSHAKE_");
    }
}
