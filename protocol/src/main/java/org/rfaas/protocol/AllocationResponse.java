package org.rfaas.protocol;

import java.lang.foreign.MemorySegment;
import org.rfaas.transport.Wire;

/**
 * An executor manager answers an {@link AllocationRequest}: accepted (the executor is starting and
 * its workers will connect to the client) or refused with a reason.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |         magic "RF"            |    version    | ALLOC_RESPONSE|  0
 * +-------------------------------+---------------+---------------+
 * |                        message length                         |  4
 * +---------------------------------------------------------------+
 * |                 lease id (assigned when static)               |  8
 * +---------------------------------------------------------------+
 * |              lease expiry, epoch milliseconds                 | 16
 * +-------------------------------+-------------------------------+
 * |    refusal (0 = accepted)     |          reserved, 0          | 24
 * +-------------------------------+-------------------------------+
 * |  message: u16 length + UTF-8 (why refused; empty if accepted) | 28
 * +---------------------------------------------------------------+
 * </pre>
 *
 * @param leaseId the lease the executor serves
 * @param expiresAtEpochMillis when the lease ends unless renewed
 * @param refusal {@link AllocationRefusal#NONE} when accepted
 * @param message why it was refused
 */
public record AllocationResponse(long leaseId, long expiresAtEpochMillis, AllocationRefusal refusal, String message) {
    public static final int LEASE_ID_OFFSET = 8;
    public static final int EXPIRY_OFFSET = 16;
    public static final int REFUSAL_OFFSET = 24;
    public static final int FIXED_LENGTH = 28;

    /** {@code true} when the executor is being started. */
    public boolean accepted() {
        return refusal == AllocationRefusal.NONE;
    }

    /** Encodes at {@code offset}; returns the message length. */
    public int encode(MemorySegment buffer, long offset) {
        WireCursor c = new WireCursor(buffer, offset + FIXED_LENGTH, buffer.byteSize());
        c.putString(Texts.truncate(message, Limits.MAX_MESSAGE_BYTES), Limits.MAX_MESSAGE_BYTES, "message");
        int length = (int) (c.position() - offset);
        MessageHeader.write(buffer, offset, MessageType.ALLOCATION_RESPONSE, length);
        buffer.set(Wire.LONG, offset + LEASE_ID_OFFSET, leaseId);
        buffer.set(Wire.LONG, offset + EXPIRY_OFFSET, expiresAtEpochMillis);
        buffer.set(Wire.SHORT, offset + REFUSAL_OFFSET, (short) refusal.code());
        buffer.set(Wire.SHORT, offset + REFUSAL_OFFSET + 2, (short) 0);
        return length;
    }

    /** Decodes and validates a response body whose header was already checked. */
    public static AllocationResponse decode(MemorySegment buffer, long offset, int received) {
        MessageHeader.expect(buffer, offset, received, MessageType.ALLOCATION_RESPONSE, FIXED_LENGTH);
        AllocationRefusal refusal = AllocationRefusal.ofCode(buffer.get(Wire.SHORT, offset + REFUSAL_OFFSET) & 0xffff);
        if (refusal == null) {
            throw WireCursor.badField("unknown refusal code " + (buffer.get(Wire.SHORT, offset + REFUSAL_OFFSET) & 0xffff));
        }
        long leaseId = buffer.get(Wire.LONG, offset + LEASE_ID_OFFSET);
        if (refusal == AllocationRefusal.NONE && leaseId <= 0) {
            throw WireCursor.badField("accepted allocation names lease id " + leaseId);
        }
        WireCursor c = new WireCursor(buffer, offset + FIXED_LENGTH, offset + received);
        String message = c.getString(Limits.MAX_MESSAGE_BYTES, "message");
        c.expectEnd(MessageType.ALLOCATION_RESPONSE);
        return new AllocationResponse(leaseId, buffer.get(Wire.LONG, offset + EXPIRY_OFFSET), refusal, message);
    }
}
