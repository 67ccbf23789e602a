package org.rfaas.protocol;

import java.lang.foreign.MemorySegment;
import org.rfaas.transport.Wire;

/**
 * Executor → its manager, after {@link ExecutorHello} (and, for a spare, its assignment): every
 * worker of the lease is connected to the client and its thread started, so the cold start's
 * remaining work is the workers' hellos. The manager holds back booting replacement spare JVMs
 * until then, so that they do not take the cores from the cold start in progress.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |         magic "RF"            |    version    | EXECUTOR_READY|  0
 * +-------------------------------+---------------+---------------+
 * |                     message length = 16                       |  4
 * +---------------------------------------------------------------+
 * |                      lease id (non-zero)                      |  8
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class ExecutorReady {
    private ExecutorReady() {
    }

    public static final int LEASE_ID_OFFSET = 8;
    public static final int LENGTH = 16;

    /** Writes; returns the length. */
    public static int write(MemorySegment buffer, long offset, long leaseId) {
        MessageHeader.write(buffer, offset, MessageType.EXECUTOR_READY, LENGTH);
        buffer.set(Wire.LONG, offset + LEASE_ID_OFFSET, leaseId);
        return LENGTH;
    }

    /** Validates and returns the lease id. */
    public static long decode(MemorySegment buffer, long offset, int received) {
        MessageHeader.expect(buffer, offset, received, MessageType.EXECUTOR_READY, LENGTH);
        if (received != LENGTH) {
            throw WireCursor.badField("executor ready of " + received + " bytes");
        }
        long leaseId = buffer.get(Wire.LONG, offset + LEASE_ID_OFFSET);
        if (leaseId == 0) {
            throw WireCursor.badField("executor ready names lease 0");
        }
        return leaseId;
    }
}
