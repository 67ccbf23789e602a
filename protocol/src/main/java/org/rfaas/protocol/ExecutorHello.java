package org.rfaas.protocol;

import java.lang.foreign.MemorySegment;
import org.rfaas.transport.Wire;

/**
 * First message of an executor on its accounting connection to the manager that spawned it; the
 * executor then waits for its {@link ExecutorAssignment}. The secret was handed to the process in
 * its environment, so no other process can pose as it; it also tells the manager which of its
 * launched JVMs this is (a spare, or the one forked for a lease).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |         magic "RF"            |    version    | EXECUTOR_HELLO|  0
 * +-------------------------------+---------------+---------------+
 * |                     message length = 24                       |  4
 * +---------------------------------------------------------------+
 * |                      spawn secret                             |  8
 * +---------------------------------------------------------------+
 * |                      process id                               | 16
 * +---------------------------------------------------------------+
 * </pre>
 */
public record ExecutorHello(long secret, long pid) {
    public static final int SECRET_OFFSET = 8;
    public static final int PID_OFFSET = 16;
    public static final int LENGTH = 24;

    /** Encodes; returns the length. */
    public int encode(MemorySegment buffer, long offset) {
        MessageHeader.write(buffer, offset, MessageType.EXECUTOR_HELLO, LENGTH);
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
        long pid = buffer.get(Wire.LONG, offset + PID_OFFSET);
        if (pid <= 0) {
            throw WireCursor.badField("executor hello with pid " + pid);
        }
        return new ExecutorHello(buffer.get(Wire.LONG, offset + SECRET_OFFSET), pid);
    }
}
