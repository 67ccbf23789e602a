package org.rfaas.transport;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Constants every rFaaS wire format shares. All multi-byte fields are little-endian, the order of
 * every RDMA-capable host we target, so a flyweight reads a field with one unaligned load.
 */
public final class Wire {
    private Wire() {
    }

    /** {@code "RF"} read as a little-endian short: the first two bytes of every rFaaS message. */
    public static final short MAGIC = 0x4652;
    /** The protocol version this build speaks. Bumped on any incompatible layout change. */
    public static final byte VERSION = 1;

    public static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
}
