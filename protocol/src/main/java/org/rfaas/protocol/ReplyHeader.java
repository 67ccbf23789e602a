package org.rfaas.protocol;

import java.lang.foreign.MemorySegment;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Wire;

/**
 * Flyweight over the header of a reply, written by an executor worker straight into the client's
 * result slot, immediately followed by the output (status {@link Status#OK}) or a UTF-8 message
 * (any other status). Type {@link MessageType#NOTICE} with invocation id 0 is an unsolicited
 * notice (executor shutting down, lease expired or revoked) written into the client's notice slot.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |         magic "RF"            |    version    | REPLY/NOTICE  |  0
 * +-------------------------------+---------------+---------------+
 * |             message length = 16 + payload length              |  4
 * +---------------------------------------------------------------+
 * |             invocation id (as in the invocation)              |  8
 * +-------------------------------+-------------------------------+
 * |            status             |          reserved, 0          | 12
 * +-------------------------------+-------------------------------+
 * |                 output or message bytes ...                   | 16
 * </pre>
 *
 * <p>Reading and writing allocate nothing; validation allocates only to throw.
 */
public final class ReplyHeader {
    public static final int INVOCATION_ID_OFFSET = 8;
    public static final int STATUS_OFFSET = 12;
    public static final int RESERVED_OFFSET = 14;
    /** Bytes of the header; the payload starts here. */
    public static final int LENGTH = 16;

    /** Size of a client's result slot for {@code outputCapacity}: replies and error messages fit. */
    public static int resultSlotSize(int outputCapacity) {
        return MessageHeader.slotBytes(LENGTH + (long) Math.max(outputCapacity, Limits.MAX_MESSAGE_BYTES));
    }

    private MemorySegment buffer;
    private long offset;

    /** Points this flyweight at the message starting at {@code offset}. */
    public ReplyHeader wrap(MemorySegment buffer, long offset) {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** Writes the whole header of a reply (or notice) with {@code payloadLength} payload bytes. */
    public void write(MessageType type, int invocationId, Status status, int payloadLength) {
        MessageHeader.write(buffer, offset, type, LENGTH + payloadLength);
        buffer.set(Wire.INT, offset + INVOCATION_ID_OFFSET, invocationId);
        buffer.set(Wire.SHORT, offset + STATUS_OFFSET, (short) status.code());
        buffer.set(Wire.SHORT, offset + RESERVED_OFFSET, (short) 0);
    }

    /**
     * Validates a reply or notice that arrived and returns its type.
     *
     * @param received bytes the completion reported
     * @param immediate the completion's immediate, which must equal the invocation id
     * @throws ProtocolException naming the bad field
     */
    public MessageType validate(int received, int immediate) {
        MessageType type = MessageHeader.check(buffer, offset, received, LENGTH);
        if (type != MessageType.REPLY && type != MessageType.NOTICE) {
            throw new ProtocolException(ProtocolError.BAD_TYPE, "expected a reply or notice, got " + type);
        }
        if (invocationId() != immediate) {
            throw new ProtocolException(ProtocolError.BAD_FIELD, "invocation id 0x" + Integer.toHexString(invocationId())
                    + " differs from the immediate 0x" + Integer.toHexString(immediate));
        }
        if (status() == null) {
            throw new ProtocolException(ProtocolError.BAD_FIELD, "unknown status code " + statusCode());
        }
        if (buffer.get(Wire.SHORT, offset + RESERVED_OFFSET) != 0) {
            throw new ProtocolException(ProtocolError.BAD_FIELD, "reserved field is not zero");
        }
        return type;
    }

    public int invocationId() {
        return buffer.get(Wire.INT, offset + INVOCATION_ID_OFFSET);
    }

    /** The raw status code. */
    public int statusCode() {
        return buffer.get(Wire.SHORT, offset + STATUS_OFFSET) & 0xffff;
    }

    /** The status, or {@code null} for an unknown code (rejected by {@link #validate}). */
    public Status status() {
        return Status.ofCode(statusCode());
    }

    /** Payload bytes, from the header's length field (validated against the completion). */
    public int payloadLength() {
        return buffer.get(Wire.INT, offset + MessageHeader.LENGTH_OFFSET) - LENGTH;
    }
}
