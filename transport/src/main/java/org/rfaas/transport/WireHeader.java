package org.rfaas.transport;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The header every rFaaS message starts with, declared once: the handshakes of all transports
 * (tcp {@code Frame}, shm handshake, fabric {@code Hello} and out-of-band frames) and the
 * invocation protocol ({@code org.rfaas.protocol.MessageHeader}) write and check it here.
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
 *
 * The first four bytes (the <em>prefix</em>: magic, version, type) are common to every format.
 * Variable-length messages (handshakes, invocation messages) carry their length at offset 4;
 * fixed-size frames use those bytes for their own fields (the tcp frame's flags, the out-of-band
 * frame's counter index) and are written and checked with {@link #putPrefix} / {@link #checkPrefix}.
 * Little-endian, like all of {@link Wire}. Static and allocation-free.
 */
public final class WireHeader {
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 2;
    public static final int TYPE_OFFSET = 3;
    public static final int LENGTH_OFFSET = 4;
    /** Bytes of the header with its length field. */
    public static final int LENGTH = 8;
    /** Bytes of the prefix every format shares. */
    public static final int PREFIX_LENGTH = 4;

    private WireHeader() {
    }

    /** Writes magic, {@code version} and {@code type} at {@code offset}. */
    public static void putPrefix(MemorySegment buffer, long offset, byte version, byte type) {
        buffer.set(Wire.SHORT, offset + MAGIC_OFFSET, Wire.MAGIC);
        buffer.set(ValueLayout.JAVA_BYTE, offset + VERSION_OFFSET, version);
        buffer.set(ValueLayout.JAVA_BYTE, offset + TYPE_OFFSET, type);
    }

    /** Writes the whole header: the prefix and {@code length}. */
    public static void put(MemorySegment buffer, long offset, byte version, byte type, int length) {
        putPrefix(buffer, offset, version, type);
        buffer.set(Wire.INT, offset + LENGTH_OFFSET, length);
    }

    /**
     * Checks magic and version at {@code offset} and returns the type byte. The message of an
     * error starts with {@code what} and {@code from} (concatenated only then, so a hot caller
     * passes constants).
     *
     * @param version the version this build speaks for the format
     * @throws ProtocolException {@link ProtocolError#BAD_MAGIC} or {@link ProtocolError#BAD_VERSION}
     */
    public static byte checkPrefix(MemorySegment buffer, long offset, byte version, String what, String from) {
        short magic = buffer.get(Wire.SHORT, offset + MAGIC_OFFSET);
        if (magic != Wire.MAGIC) {
            throw new ProtocolException(ProtocolError.BAD_MAGIC, String.format("%s%s starts with 0x%04x, expected the rFaaS"
                    + " magic 0x%04x", what, from, magic & 0xffff, Wire.MAGIC));
        }
        byte v = buffer.get(ValueLayout.JAVA_BYTE, offset + VERSION_OFFSET);
        if (v != version) {
            throw new ProtocolException(ProtocolError.BAD_VERSION,
                    what + from + " has protocol version " + v + ", this build speaks " + version);
        }
        return buffer.get(ValueLayout.JAVA_BYTE, offset + TYPE_OFFSET);
    }

    /** The type byte at {@code offset}. */
    public static byte type(MemorySegment buffer, long offset) {
        return buffer.get(ValueLayout.JAVA_BYTE, offset + TYPE_OFFSET);
    }

    /** The length field at {@code offset}. */
    public static int length(MemorySegment buffer, long offset) {
        return buffer.get(Wire.INT, offset + LENGTH_OFFSET);
    }
}
