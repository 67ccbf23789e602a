package org.rfaas.transport;

/**
 * What one side of a connection registers for its peer to write into: {@code slots} receive slots
 * of {@code slotSize} bytes each, and {@code counters} 8-byte counters for remote fetch-and-add.
 * The two sides of a connection may use different specs; each learns the other's in the handshake.
 *
 * @param slots number of receive slots, 1 to {@value #MAX_SLOTS}
 * @param slotSize bytes per slot, 8 to {@value #MAX_SLOT_SIZE}, a multiple of 8
 * @param counters number of remote counters, 0 to {@value #MAX_COUNTERS}
 */
public record ConnectionSpec(int slots, int slotSize, int counters) {

    /** Upper bound on slots per connection. */
    public static final int MAX_SLOTS = 1024;
    /** Upper bound on a slot's size: 256 MiB. */
    public static final int MAX_SLOT_SIZE = 256 << 20;
    /** Upper bound on counters per connection. */
    public static final int MAX_COUNTERS = 64;

    public ConnectionSpec {
        if (slots < 1 || slots > MAX_SLOTS) {
            throw new IllegalArgumentException("slots must be 1.." + MAX_SLOTS + ", got " + slots);
        }
        if (slotSize < 8 || slotSize > MAX_SLOT_SIZE || (slotSize & 7) != 0) {
            throw new IllegalArgumentException(
                    "slotSize must be a multiple of 8 in 8.." + MAX_SLOT_SIZE + ", got " + slotSize);
        }
        if (counters < 0 || counters > MAX_COUNTERS) {
            throw new IllegalArgumentException("counters must be 0.." + MAX_COUNTERS + ", got " + counters);
        }
    }

    /** Validates a spec received from a peer, turning bad values into a protocol error. */
    public static ConnectionSpec fromWire(int slots, int slotSize, int counters) {
        try {
            return new ConnectionSpec(slots, slotSize, counters);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ProtocolError.BAD_HANDSHAKE, "peer announced " + e.getMessage());
        }
    }

    // equals and hashCode are written out: a record's generated ones bootstrap through
    // invokedynamic the first time they run, which spun classes for a few milliseconds in the
    // middle of a client's first allocation that reused its worker listener (keyed by the spec).

    @Override
    public boolean equals(Object o) {
        return o instanceof ConnectionSpec s && s.slots == slots && s.slotSize == slotSize && s.counters == counters;
    }

    @Override
    public int hashCode() {
        return (slots * 31 + slotSize) * 31 + counters;
    }

    /** Total bytes of the receive slots. */
    public long slotBytes() {
        return (long) slots * slotSize;
    }
}
