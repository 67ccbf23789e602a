package org.rfaas.protocol;

import java.lang.foreign.MemorySegment;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Wire;
import org.rfaas.transport.WireHeader;

/**
 * The 8 bytes every rFaaS message starts with: the common {@link WireHeader} (declared in the
 * transport module, shared with every transport handshake), with the invocation protocol's
 * {@link MessageType} as its type.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |         magic "RF"            |    version    |     type      |  0
 * +-------------------------------+---------------+---------------+
 * |          message length in bytes, header included             |  4
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class MessageHeader {
    /**
     * A slot's size for messages of up to {@code bytes}: rounded up to 8.
     *
     * @throws IllegalArgumentException past the largest slot a transport offers
     */
    static int slotBytes(long bytes) {
        long aligned = (bytes + 7) & ~7L;
        if (aligned > org.rfaas.transport.ConnectionSpec.MAX_SLOT_SIZE) {
            throw new IllegalArgumentException(bytes + " bytes exceed the largest slot");
        }
        return (int) aligned;
    }

    private MessageHeader() {
    }

    public static final int MAGIC_OFFSET = WireHeader.MAGIC_OFFSET;
    public static final int VERSION_OFFSET = WireHeader.VERSION_OFFSET;
    public static final int TYPE_OFFSET = WireHeader.TYPE_OFFSET;
    public static final int LENGTH_OFFSET = WireHeader.LENGTH_OFFSET;
    /** Bytes of the common header. */
    public static final int LENGTH = WireHeader.LENGTH;

    /** Writes the common header. */
    public static void write(MemorySegment buffer, long offset, MessageType type, int length) {
        WireHeader.put(buffer, offset, Wire.VERSION, (byte) type.code(), length);
    }

    /**
     * Validates magic, version and length of the message at {@code offset} and returns its type.
     *
     * @param received bytes that actually arrived (the completion's length)
     * @param minLength the smallest length any message may have here
     * @throws ProtocolException naming the first field that is wrong
     */
    public static MessageType check(MemorySegment buffer, long offset, int received, int minLength) {
        if (received < LENGTH) {
            throw new ProtocolException(ProtocolError.TRUNCATED, "message of " + received + " bytes is shorter than the "
                    + LENGTH + "-byte header");
        }
        MessageType type = MessageType.ofCode(WireHeader.checkPrefix(buffer, offset, Wire.VERSION, "message", "") & 0xff);
        int length = WireHeader.length(buffer, offset);
        if (length != received || length < minLength) {
            throw new ProtocolException(ProtocolError.BAD_LENGTH, type + " message says " + length + " bytes but "
                    + received + " arrived (minimum " + minLength + ")");
        }
        return type;
    }

    /**
     * Like {@link #check} and also requires the type to be {@code expected}.
     *
     * @throws ProtocolException ({@link ProtocolError#BAD_TYPE}) when it is another type
     */
    public static void expect(MemorySegment buffer, long offset, int received, MessageType expected, int minLength) {
        MessageType type = check(buffer, offset, received, minLength);
        if (type != expected) {
            throw new ProtocolException(ProtocolError.BAD_TYPE, "expected " + expected + ", got " + type);
        }
    }
}
