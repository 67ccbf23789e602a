package org.rfaas.protocol;

import java.lang.foreign.MemorySegment;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Wire;

/**
 * Flyweight over the header of an invocation, written by the client into a receive slot of an
 * executor worker, immediately followed by the input. The transport immediate carries the same
 * invocation id, so a receiver can match a completion without touching the slot.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |         magic "RF"            |    version    |  type INVOKE  |  0
 * +-------------------------------+---------------+---------------+
 * |              message length = 24 + input length               |  4
 * +---------------------------------------------------------------+
 * |  invocation id: generation (24 bits) | client result slot (8) |  8
 * +-------------------------------+-------------------------------+
 * |        function index         |   result slot on the client   | 12
 * +-------------------------------+-------------------------------+
 * |          output capacity (bytes the caller accepts)           | 16
 * +---------------------------------------------------------------+
 * |                         reserved, 0                           | 20
 * +---------------------------------------------------------------+
 * |                        input bytes ...                        | 24
 * </pre>
 *
 * <p>Invocation ids never collide: a client keeps at most one invocation outstanding per result
 * slot, and bumps that slot's 24-bit generation for each one, so an id can only recur after 2^24
 * completed calls on the same slot. A reply is matched on the full id.
 *
 * <p>Reading and writing allocate nothing; validation allocates only to throw.
 */
public final class InvocationHeader {
    public static final int INVOCATION_ID_OFFSET = 8;
    public static final int FUNCTION_INDEX_OFFSET = 12;
    public static final int RESULT_SLOT_OFFSET = 14;
    public static final int OUTPUT_CAPACITY_OFFSET = 16;
    public static final int RESERVED_OFFSET = 20;
    /** Bytes of the header; the input starts here. */
    public static final int LENGTH = 24;
    /** Size of an executor worker's receive slot: an invocation of up to {@code inputCapacity} bytes of input. */
    public static int slotSize(int inputCapacity) {
        return MessageHeader.slotBytes(LENGTH + (long) inputCapacity);
    }

    /** Largest number of result slots an id can name. */
    public static final int MAX_SLOTS = 256;

    private MemorySegment buffer;
    private long offset;

    /** Points this flyweight at the message starting at {@code offset}. */
    public InvocationHeader wrap(MemorySegment buffer, long offset) {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** The invocation id for {@code slot}'s {@code generation}. */
    public static int invocationId(int generation, int slot) {
        return (generation << 8) | (slot & 0xff);
    }

    /** The result slot encoded in an invocation id. */
    public static int slotOf(int invocationId) {
        return invocationId & 0xff;
    }

    /** Writes the whole header for an input of {@code inputLength} bytes. */
    public void write(int invocationId, int functionIndex, int resultSlot, int outputCapacity, int inputLength) {
        MessageHeader.write(buffer, offset, MessageType.INVOKE, LENGTH + inputLength);
        buffer.set(Wire.INT, offset + INVOCATION_ID_OFFSET, invocationId);
        buffer.set(Wire.SHORT, offset + FUNCTION_INDEX_OFFSET, (short) functionIndex);
        buffer.set(Wire.SHORT, offset + RESULT_SLOT_OFFSET, (short) resultSlot);
        buffer.set(Wire.INT, offset + OUTPUT_CAPACITY_OFFSET, outputCapacity);
        buffer.set(Wire.INT, offset + RESERVED_OFFSET, 0);
    }

    /**
     * Validates the message that arrived.
     *
     * @param received bytes the completion reported
     * @param immediate the completion's immediate, which must equal the invocation id
     * @param resultSlots result slots the client registered (the result slot must be below)
     * @param maxOutputCapacity the largest output capacity the executor was sized for
     * @throws ProtocolException naming the bad field
     */
    public void validate(int received, int immediate, int resultSlots, int maxOutputCapacity) {
        MessageHeader.expect(buffer, offset, received, MessageType.INVOKE, LENGTH);
        if (invocationId() != immediate) {
            throw new ProtocolException(ProtocolError.BAD_FIELD, "invocation id 0x" + Integer.toHexString(invocationId())
                    + " differs from the immediate 0x" + Integer.toHexString(immediate));
        }
        int slot = resultSlot();
        if (slot >= resultSlots || slot != slotOf(invocationId())) {
            throw new ProtocolException(ProtocolError.BAD_INDEX, "result slot " + slot + " is not one of the client's "
                    + resultSlots + " result slots or does not match the invocation id");
        }
        int capacity = outputCapacity();
        if (capacity < 0 || capacity > maxOutputCapacity) {
            throw new ProtocolException(ProtocolError.BAD_FIELD, "output capacity " + capacity + " is outside 0.."
                    + maxOutputCapacity);
        }
        if (buffer.get(Wire.INT, offset + RESERVED_OFFSET) != 0) {
            throw new ProtocolException(ProtocolError.BAD_FIELD, "reserved field is not zero");
        }
    }

    public int invocationId() {
        return buffer.get(Wire.INT, offset + INVOCATION_ID_OFFSET);
    }

    /** Unsigned 16-bit function index. */
    public int functionIndex() {
        return buffer.get(Wire.SHORT, offset + FUNCTION_INDEX_OFFSET) & 0xffff;
    }

    /** Unsigned 16-bit result slot. */
    public int resultSlot() {
        return buffer.get(Wire.SHORT, offset + RESULT_SLOT_OFFSET) & 0xffff;
    }

    public int outputCapacity() {
        return buffer.get(Wire.INT, offset + OUTPUT_CAPACITY_OFFSET);
    }

    /** Input bytes, from the header's length field (validated against the completion). */
    public int inputLength() {
        return buffer.get(Wire.INT, offset + MessageHeader.LENGTH_OFFSET) - LENGTH;
    }
}
