package org.rfaas.protocol;

import java.lang.foreign.MemorySegment;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Wire;

/**
 * The 8 bytes every rFaaS message starts with.
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
    private MessageHeader() {
    }

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 2;
    public static final int TYPE_OFFSET = 3;
    public static final int LENGTH_OFFSET = 4;
    /** Bytes of the common header. */
    public static final int LENGTH = 8;

    /** Writes the common header. */
    public static void write(MemorySegment buffer, long offset, MessageType type, int length) {
        buffer.set(Wire.SHORT, offset + MAGIC_OFFSET, Wire.MAGIC);
        buffer.set(java.lang.foreign.ValueLayout.JAVA_BYTE, offset + VERSION_OFFSET, Wire.VERSION);
        buffer.set(java.lang.foreign.ValueLayout.JAVA_BYTE, offset + TYPE_OFFSET, (byte) type.code());
        buffer.set(Wire.INT, offset + LENGTH_OFFSET, length);
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
        short magic = buffer.get(Wire.SHORT, offset + MAGIC_OFFSET);
        if (magic != Wire.MAGIC) {
            throw new ProtocolException(ProtocolError.BAD_MAGIC, "magic 0x" + Integer.toHexString(magic & 0xffff)
                    + " is not 0x" + Integer.toHexString(Wire.MAGIC));
        }
        byte version = buffer.get(java.lang.foreign.ValueLayout.JAVA_BYTE, offset + VERSION_OFFSET);
        if (version != Wire.VERSION) {
            throw new ProtocolException(ProtocolError.BAD_VERSION, "protocol version " + version + ", this build speaks "
                    + Wire.VERSION);
        }
        MessageType type = MessageType.ofCode(buffer.get(java.lang.foreign.ValueLayout.JAVA_BYTE, offset + TYPE_OFFSET) & 0xff);
        int length = buffer.get(Wire.INT, offset + LENGTH_OFFSET);
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
