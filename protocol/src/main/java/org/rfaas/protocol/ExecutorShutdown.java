package org.rfaas.protocol;

import java.lang.foreign.MemorySegment;
import org.rfaas.transport.Wire;

/**
 * The manager tells its executor to stop serving: the executor notifies every client connection
 * with the reason's status, flushes its accounting and exits.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |         magic "RF"            |    version    |   SHUTDOWN    |  0
 * +-------------------------------+---------------+---------------+
 * |                     message length = 16                       |  4
 * +-------------------------------+-------------------------------+
 * |      lease end reason         |          reserved, 0          |  8
 * +-------------------------------+-------------------------------+
 * |                         reserved, 0                           | 12
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class ExecutorShutdown {
    private ExecutorShutdown() {
    }

    public static final int REASON_OFFSET = 8;
    public static final int LENGTH = 16;

    /** Writes; returns the length. */
    public static int write(MemorySegment buffer, long offset, LeaseEndReason reason) {
        MessageHeader.write(buffer, offset, MessageType.EXECUTOR_SHUTDOWN, LENGTH);
        buffer.set(Wire.SHORT, offset + REASON_OFFSET, (short) reason.code());
        buffer.set(Wire.SHORT, offset + REASON_OFFSET + 2, (short) 0);
        buffer.set(Wire.INT, offset + 12, 0);
        return LENGTH;
    }

    /** Validates and returns the reason. */
    public static LeaseEndReason decode(MemorySegment buffer, long offset, int received) {
        MessageHeader.expect(buffer, offset, received, MessageType.EXECUTOR_SHUTDOWN, LENGTH);
        if (received != LENGTH) {
            throw WireCursor.badField("executor shutdown of " + received + " bytes");
        }
        int code = buffer.get(Wire.SHORT, offset + REASON_OFFSET) & 0xffff;
        LeaseEndReason reason = LeaseEndReason.ofCode(code);
        if (reason == null) {
            throw WireCursor.badField("unknown lease end reason " + code);
        }
        return reason;
    }
}
