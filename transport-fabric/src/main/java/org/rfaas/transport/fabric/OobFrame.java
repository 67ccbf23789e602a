package org.rfaas.transport.fabric;

import java.lang.foreign.MemorySegment;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Wire;
import org.rfaas.transport.WireHeader;

/**
 * Flyweight over the 16-byte frames exchanged on the out-of-band socket after the handshake:
 * emulated fetch-and-add for providers without FI_ATOMIC, the goodbye an orderly close sends, and
 * the warm/hot announcements and wake-ups of warm waiting.
 * (The socket itself doubles as the liveness channel: end of stream without a goodbye means the
 * peer process is gone, and {@link #TYPE_HEARTBEAT}s every heartbeat interval let a silent peer
 * be told from a quiet one; see {@link OobChannel}.)
 *
 * <pre>
 *  0       2     3     4              8                              16
 *  +-------+-----+-----+--------------+------------------------------+
 *  | magic | ver | type| counter index| value (delta or old value)   |
 *  +-------+-----+-----+--------------+------------------------------+
 * </pre>
 */
final class OobFrame {
    static final int LENGTH = 16;
    /** Add {@code value} to counter {@code index}; answer with {@link #TYPE_FAA_REPLY}. */
    static final byte TYPE_FAA_REQUEST = 0x20;
    /** The counter's value before the add. */
    static final byte TYPE_FAA_REPLY = 0x21;
    /** The sender is closing its endpoint in order (index and value are 0). */
    static final byte TYPE_BYE = 0x22;
    /**
     * From now on the sender's waits sleep until rung (index 0, {@code value} = messages it has
     * consumed so far): ring after every write, and at once if more than {@code value} were written.
     */
    static final byte TYPE_WARM = 0x23;
    /** Ring: {@code value} messages were written to the receiver so far (index 0). */
    static final byte TYPE_WAKE = 0x24;
    /** From now on the sender polls: stop ringing (index 0, value 0). */
    static final byte TYPE_HOT = 0x25;
    /** A sign of life, nothing else (index 0, value 0). */
    static final byte TYPE_HEARTBEAT = 0x26;

    private static final int INDEX = 4;
    private static final int VALUE = 8;

    private final byte[] bytes = new byte[LENGTH];
    private final MemorySegment buffer = MemorySegment.ofArray(bytes);

    /** The backing array, for socket reads and writes. */
    byte[] bytes() {
        return bytes;
    }

    /** Fills the frame. */
    OobFrame set(byte type, int index, long value) {
        WireHeader.putPrefix(buffer, 0, Wire.VERSION, type);
        buffer.set(Wire.INT, INDEX, index);
        buffer.set(Wire.LONG, VALUE, value);
        return this;
    }

    /**
     * Validates a received frame.
     *
     * @param counters how many counters this side registered
     * @return the frame type
     */
    byte validate(int counters) {
        byte type = WireHeader.checkPrefix(buffer, 0, Wire.VERSION, "out-of-band frame", "");
        if (type == TYPE_FAA_REQUEST) {
            int index = index();
            if (index < 0 || index >= counters) {
                throw new ProtocolException(ProtocolError.BAD_INDEX,
                        "fetch-and-add on counter " + index + ", this side registered " + counters);
            }
        } else if (type == TYPE_WARM || type == TYPE_WAKE || type == TYPE_HOT) {
            if (index() != 0 || value() < 0 || (type == TYPE_HOT && value() != 0)) {
                throw new ProtocolException(ProtocolError.BAD_FIELD, "warm-wait frame type 0x"
                        + Integer.toHexString(type) + " with index " + index() + " and message count " + value());
            }
        } else if (type == TYPE_HEARTBEAT) {
            if (index() != 0 || value() != 0) {
                throw new ProtocolException(ProtocolError.BAD_FIELD,
                        "heartbeat with index " + index() + " and value " + value());
            }
        } else if (type != TYPE_FAA_REPLY && type != TYPE_BYE) {
            throw new ProtocolException(ProtocolError.BAD_TYPE,
                    "out-of-band frame type 0x" + Integer.toHexString(type & 0xFF));
        }
        return type;
    }

    int index() {
        return buffer.get(Wire.INT, INDEX);
    }

    long value() {
        return buffer.get(Wire.LONG, VALUE);
    }
}
