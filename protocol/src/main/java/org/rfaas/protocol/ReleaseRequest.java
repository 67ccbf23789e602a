package org.rfaas.protocol;

import java.lang.foreign.MemorySegment;
import org.rfaas.transport.Wire;

/**
 * The client ends its lease; the manager stops the executor and answers with {@link LeaseEnded}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |         magic "RF"            |    version    |    RELEASE    |  0
 * +-------------------------------+---------------+---------------+
 * |                     message length = 16                       |  4
 * +---------------------------------------------------------------+
 * |                           lease id                            |  8
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class ReleaseRequest {
    private ReleaseRequest() {
    }

    public static final int LEASE_ID_OFFSET = 8;
    public static final int LENGTH = 16;

    /** Writes a release; returns its length. */
    public static int write(MemorySegment buffer, long offset, long leaseId) {
        MessageHeader.write(buffer, offset, MessageType.RELEASE, LENGTH);
        buffer.set(Wire.LONG, offset + LEASE_ID_OFFSET, leaseId);
        return LENGTH;
    }

    /** Validates a release and returns its lease id. */
    public static long decode(MemorySegment buffer, long offset, int received) {
        MessageHeader.expect(buffer, offset, received, MessageType.RELEASE, LENGTH);
        if (received != LENGTH) {
            throw WireCursor.badField("release of " + received + " bytes");
        }
        return buffer.get(Wire.LONG, offset + LEASE_ID_OFFSET);
    }
}
