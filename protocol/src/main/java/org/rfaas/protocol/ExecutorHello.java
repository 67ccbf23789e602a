package org.rfaas.protocol;

import java.lang.foreign.MemorySegment;
import org.rfaas.transport.Wire;

/**
 * First message of an executor on its accounting connection to the manager that spawned it. The
 * secret was handed to the process in its environment, so no other process can pose as it.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |         magic "RF"            |    version    | EXECUTOR_HELLO|  0
 * +-------------------------------+---------------+---------------+
 * |                     message length = 32                       |  4
 * +---------------------------------------------------------------+
 * |                           lease id                            |  8
 * +---------------------------------------------------------------+
 * |                      spawn secret                             | 16
 * +---------------------------------------------------------------+
 * |                      process id                               | 24
 * +---------------------------------------------------------------+
 * </pre>
 */
public record ExecutorHello(long leaseId, long secret, long pid) {
    public static final int LEASE_ID_OFFSET = 8;
    public static final int SECRET_OFFSET = 16;
    public static final int PID_OFFSET = 24;
    public static final int LENGTH = 32;

    /** Encodes; returns the length. */
    public int encode(MemorySegment buffer, long offset) {
        MessageHeader.write(buffer, offset, MessageType.EXECUTOR_HELLO, LENGTH);
        buffer.set(Wire.LONG, offset + LEASE_ID_OFFSET, leaseId);
        buffer.set(Wire.LONG, offset + SECRET_OFFSET, secret);
        buffer.set(Wire.LONG, offset + PID_OFFSET, pid);
        return LENGTH;
    }

    /** Decodes and validates. */
    public static ExecutorHello decode(MemorySegment buffer, long offset, int received) {
        MessageHeader.expect(buffer, offset, received, MessageType.EXECUTOR_HELLO, LENGTH);
        if (received != LENGTH) {
            throw WireCursor.badField("executor hello of " + received + " bytes");
        }
        long leaseId = buffer.get(Wire.LONG, offset + LEASE_ID_OFFSET);
        long pid = buffer.get(Wire.LONG, offset + PID_OFFSET);
        if (leaseId <= 0 || pid <= 0) {
            throw WireCursor.badField("executor hello with lease id " + leaseId + " and pid " + pid);
        }
        return new ExecutorHello(leaseId, buffer.get(Wire.LONG, offset + SECRET_OFFSET), pid);
    }
}
