package org.rfaas.protocol;

import java.lang.foreign.MemorySegment;
import org.rfaas.transport.Wire;

/**
 * A piece of the function package, sent by the client after its {@link AllocationRequest}; each
 * chunk waits for a {@link PackageAck} so that one receive slot suffices on the manager.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |         magic "RF"            |    version    | PACKAGE_CHUNK |  0
 * +-------------------------------+---------------+---------------+
 * |               message length = 16 + chunk length              |  4
 * +---------------------------------------------------------------+
 * |          offset of this chunk within the package              |  8
 * +---------------------------------------------------------------+
 * |                        reserved, 0                            | 12
 * +---------------------------------------------------------------+
 * |                        package bytes ...                      | 16
 * </pre>
 */
public final class PackageChunk {
    private PackageChunk() {
    }

    public static final int PACKAGE_OFFSET_OFFSET = 8;
    public static final int RESERVED_OFFSET = 12;
    /** Header bytes; the chunk's bytes start here. */
    public static final int LENGTH = 16;

    /** Writes the header of a chunk of {@code chunkLength} bytes (the bytes go at offset + 16). */
    public static int writeHeader(MemorySegment buffer, long offset, int packageOffset, int chunkLength) {
        MessageHeader.write(buffer, offset, MessageType.PACKAGE_CHUNK, LENGTH + chunkLength);
        buffer.set(Wire.INT, offset + PACKAGE_OFFSET_OFFSET, packageOffset);
        buffer.set(Wire.INT, offset + RESERVED_OFFSET, 0);
        return LENGTH + chunkLength;
    }

    /**
     * Validates a chunk and returns its length.
     *
     * @param expectedOffset the package bytes received so far (chunks arrive in order)
     * @param packageSize the announced package size (a chunk may not run past it)
     */
    public static int validate(MemorySegment buffer, long offset, int received, int expectedOffset, int packageSize) {
        MessageHeader.expect(buffer, offset, received, MessageType.PACKAGE_CHUNK, LENGTH + 1);
        int at = buffer.get(Wire.INT, offset + PACKAGE_OFFSET_OFFSET);
        if (at != expectedOffset) {
            throw WireCursor.badField("package chunk at offset " + at + ", expected " + expectedOffset);
        }
        int length = received - LENGTH;
        if ((long) at + length > packageSize) {
            throw WireCursor.badField("package chunk runs to " + ((long) at + length) + ", past the announced size "
                    + packageSize);
        }
        if (buffer.get(Wire.INT, offset + RESERVED_OFFSET) != 0) {
            throw WireCursor.badField("reserved field is not zero");
        }
        return length;
    }
}
