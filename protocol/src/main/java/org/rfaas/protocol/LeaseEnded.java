package org.rfaas.protocol;

import java.lang.foreign.MemorySegment;
import org.rfaas.transport.Wire;

/**
 * The executor manager tells the client that its lease ended, why, and what it cost. Sent in
 * answer to {@link ReleaseRequest} and unsolicited on expiry, revocation or executor death.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |         magic "RF"            |    version    |  LEASE_ENDED  |  0
 * +-------------------------------+---------------+---------------+
 * |                        message length                         |  4
 * +---------------------------------------------------------------+
 * |                           lease id                            |  8
 * +-------------------------------+-------------------------------+
 * |            reason             |          reserved, 0          | 16
 * +-------------------------------+-------------------------------+
 * |                         reserved, 0                           | 20
 * +---------------------------------------------------------------+
 * |        allocation time, ns (spawn to end, wall clock)         | 24
 * +---------------------------------------------------------------+
 * |                     compute time, ns                          | 32
 * +---------------------------------------------------------------+
 * |                   hot-polling time, ns                        | 40
 * +---------------------------------------------------------------+
 * |                      invocations                              | 48
 * +---------------------------------------------------------------+
 * |                   failed invocations                          | 56
 * +---------------------------------------------------------------+
 * |             message: u16 length + UTF-8 (may be empty)        | 64
 * +---------------------------------------------------------------+
 * </pre>
 */
public record LeaseEnded(long leaseId, LeaseEndReason reason, LeaseAccounting accounting, String message) {
    public static final int LEASE_ID_OFFSET = 8;
    public static final int REASON_OFFSET = 16;
    public static final int ALLOCATION_OFFSET = 24;
    public static final int COMPUTE_OFFSET = 32;
    public static final int HOT_POLL_OFFSET = 40;
    public static final int INVOCATIONS_OFFSET = 48;
    public static final int FAILED_OFFSET = 56;
    public static final int FIXED_LENGTH = 64;

    /** Encodes at {@code offset}; returns the message length. */
    public int encode(MemorySegment buffer, long offset) {
        WireCursor c = new WireCursor(buffer, offset + FIXED_LENGTH, buffer.byteSize());
        c.putString(Texts.truncate(message, Limits.MAX_MESSAGE_BYTES), Limits.MAX_MESSAGE_BYTES, "message");
        int length = (int) (c.position() - offset);
        MessageHeader.write(buffer, offset, MessageType.LEASE_ENDED, length);
        buffer.set(Wire.LONG, offset + LEASE_ID_OFFSET, leaseId);
        buffer.set(Wire.SHORT, offset + REASON_OFFSET, (short) reason.code());
        buffer.set(Wire.SHORT, offset + REASON_OFFSET + 2, (short) 0);
        buffer.set(Wire.INT, offset + REASON_OFFSET + 4, 0);
        buffer.set(Wire.LONG, offset + ALLOCATION_OFFSET, accounting.allocationNanos());
        buffer.set(Wire.LONG, offset + COMPUTE_OFFSET, accounting.computeNanos());
        buffer.set(Wire.LONG, offset + HOT_POLL_OFFSET, accounting.hotPollNanos());
        buffer.set(Wire.LONG, offset + INVOCATIONS_OFFSET, accounting.invocations());
        buffer.set(Wire.LONG, offset + FAILED_OFFSET, accounting.failedInvocations());
        return length;
    }

    /** Decodes and validates. */
    public static LeaseEnded decode(MemorySegment buffer, long offset, int received) {
        MessageHeader.expect(buffer, offset, received, MessageType.LEASE_ENDED, FIXED_LENGTH);
        int code = buffer.get(Wire.SHORT, offset + REASON_OFFSET) & 0xffff;
        LeaseEndReason reason = LeaseEndReason.ofCode(code);
        if (reason == null) {
            throw WireCursor.badField("unknown lease end reason " + code);
        }
        WireCursor c = new WireCursor(buffer, offset + FIXED_LENGTH, offset + received);
        String message = c.getString(Limits.MAX_MESSAGE_BYTES, "message");
        c.expectEnd(MessageType.LEASE_ENDED);
        try {
            LeaseAccounting accounting = new LeaseAccounting(buffer.get(Wire.LONG, offset + ALLOCATION_OFFSET),
                    buffer.get(Wire.LONG, offset + COMPUTE_OFFSET), buffer.get(Wire.LONG, offset + HOT_POLL_OFFSET),
                    buffer.get(Wire.LONG, offset + INVOCATIONS_OFFSET), buffer.get(Wire.LONG, offset + FAILED_OFFSET));
            return new LeaseEnded(buffer.get(Wire.LONG, offset + LEASE_ID_OFFSET), reason, accounting, message);
        } catch (IllegalArgumentException e) {
            throw WireCursor.badField(e.getMessage());
        }
    }
}
