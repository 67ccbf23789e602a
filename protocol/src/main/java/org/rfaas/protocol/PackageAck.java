package org.rfaas.protocol;

import java.lang.foreign.MemorySegment;
import org.rfaas.transport.Wire;

/**
 * The executor manager accepted a request or chunk and waits for the next chunk. (A manager whose
 * cache holds the announced package sends no ack: its {@link AllocationResponse} answers the
 * request directly.)
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |         magic "RF"            |    version    |  PACKAGE_ACK  |  0
 * +-------------------------------+---------------+---------------+
 * |                     message length = 16                       |  4
 * +---------------------------------------------------------------+
 * |               package bytes received so far                   |  8
 * +---------------------------------------------------------------+
 * |                    flags: reserved, 0                         | 12
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class PackageAck {
    private PackageAck() {
    }

    public static final int RECEIVED_OFFSET = 8;
    public static final int FLAGS_OFFSET = 12;
    public static final int LENGTH = 16;

    /** Writes an ack; returns its length. */
    public static int write(MemorySegment buffer, long offset, int received) {
        MessageHeader.write(buffer, offset, MessageType.PACKAGE_ACK, LENGTH);
        buffer.set(Wire.INT, offset + RECEIVED_OFFSET, received);
        buffer.set(Wire.INT, offset + FLAGS_OFFSET, 0);
        return LENGTH;
    }

    /** Validates an ack (header already known to be PACKAGE_ACK) and returns the bytes received. */
    public static int decode(MemorySegment buffer, long offset, int received) {
        MessageHeader.expect(buffer, offset, received, MessageType.PACKAGE_ACK, LENGTH);
        if (received != LENGTH) {
            throw WireCursor.badField("package ack of " + received + " bytes");
        }
        int value = buffer.get(Wire.INT, offset + RECEIVED_OFFSET);
        if (value < 0) {
            throw WireCursor.badField("negative byte count in package ack");
        }
        if (buffer.get(Wire.INT, offset + FLAGS_OFFSET) != 0) {
            throw WireCursor.badField("unknown flags in package ack");
        }
        return value;
    }
}
