package org.rfaas.protocol;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.rfaas.function.FunctionNames;
import org.rfaas.transport.Wire;

/**
 * First message of an executor worker on its connection to the client, written into the client's
 * notice slot: which lease and worker it is, how many invocations it takes in flight, and the
 * function table (index i is the i-th name), which clients use to turn names into indices once.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |         magic "RF"            |    version    | WORKER_HELLO  |  0
 * +-------------------------------+---------------+---------------+
 * |                        message length                         |  4
 * +---------------------------------------------------------------+
 * |                           lease id                            |  8
 * +---------------------------------------------------------------+
 * |            nonce (echoed from the allocation request)         | 16
 * +-------------------------------+-------------------------------+
 * |         worker index          |         worker count          | 24
 * +-------------------------------+-------------------------------+
 * |     receive slots (in flight) |        function count         | 28
 * +-------------------------------+-------------------------------+
 * |           function names: u16 length + ASCII each ...         | 32
 * +---------------------------------------------------------------+
 * </pre>
 */
public record WorkerHello(long leaseId, long nonce, int workerIndex, int workerCount, int slots,
        List<String> functions) {
    public static final int LEASE_ID_OFFSET = 8;
    public static final int NONCE_OFFSET = 16;
    public static final int WORKER_INDEX_OFFSET = 24;
    public static final int WORKER_COUNT_OFFSET = 26;
    public static final int SLOTS_OFFSET = 28;
    public static final int FUNCTION_COUNT_OFFSET = 30;
    public static final int FIXED_LENGTH = 32;

    public WorkerHello {
        functions = List.copyOf(functions);
        if (workerCount < 1 || workerCount > Limits.MAX_CORES || workerIndex < 0 || workerIndex >= workerCount) {
            throw new IllegalArgumentException("worker " + workerIndex + " of " + workerCount + " is out of range");
        }
        if (slots < 1 || slots > Limits.MAX_SLOTS_PER_WORKER) {
            throw new IllegalArgumentException("slots " + slots + " is outside 1.." + Limits.MAX_SLOTS_PER_WORKER);
        }
        if (functions.size() > Limits.MAX_FUNCTIONS) {
            throw new IllegalArgumentException(functions.size() + " functions, at most " + Limits.MAX_FUNCTIONS);
        }
        for (String f : functions) {
            FunctionNames.require(f);
        }
    }

    /** Encodes; returns the length. */
    public int encode(MemorySegment buffer, long offset) {
        WireCursor c = new WireCursor(buffer, offset + FIXED_LENGTH, buffer.byteSize());
        c.putFunctionNames(functions);
        int length = (int) (c.position() - offset);
        MessageHeader.write(buffer, offset, MessageType.WORKER_HELLO, length);
        buffer.set(Wire.LONG, offset + LEASE_ID_OFFSET, leaseId);
        buffer.set(Wire.LONG, offset + NONCE_OFFSET, nonce);
        buffer.set(Wire.SHORT, offset + WORKER_INDEX_OFFSET, (short) workerIndex);
        buffer.set(Wire.SHORT, offset + WORKER_COUNT_OFFSET, (short) workerCount);
        buffer.set(Wire.SHORT, offset + SLOTS_OFFSET, (short) slots);
        buffer.set(Wire.SHORT, offset + FUNCTION_COUNT_OFFSET, (short) functions.size());
        return length;
    }

    /** Decodes and validates. */
    public static WorkerHello decode(MemorySegment buffer, long offset, int received) {
        MessageHeader.expect(buffer, offset, received, MessageType.WORKER_HELLO, FIXED_LENGTH);
        int count = WireCursor.functionCount(buffer, offset + FUNCTION_COUNT_OFFSET);
        WireCursor c = new WireCursor(buffer, offset + FIXED_LENGTH, offset + received);
        List<String> names = c.getFunctionNames(count);
        c.expectEnd(MessageType.WORKER_HELLO);
        try {
            return new WorkerHello(buffer.get(Wire.LONG, offset + LEASE_ID_OFFSET),
                    buffer.get(Wire.LONG, offset + NONCE_OFFSET),
                    buffer.get(Wire.SHORT, offset + WORKER_INDEX_OFFSET) & 0xffff,
                    buffer.get(Wire.SHORT, offset + WORKER_COUNT_OFFSET) & 0xffff,
                    buffer.get(Wire.SHORT, offset + SLOTS_OFFSET) & 0xffff, names);
        } catch (IllegalArgumentException e) {
            throw WireCursor.badField(e.getMessage());
        }
    }
}
