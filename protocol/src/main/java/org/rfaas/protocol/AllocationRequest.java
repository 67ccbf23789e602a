package org.rfaas.protocol;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.rfaas.function.FunctionNames;
import org.rfaas.transport.Wire;

/**
 * A client asks an executor manager for an executor. Followed by {@link PackageChunk}s carrying
 * the function package; answered by {@link AllocationResponse}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |         magic "RF"            |    version    | ALLOC_REQUEST |  0
 * +-------------------------------+---------------+---------------+
 * |                        message length                         |  4
 * +---------------------------------------------------------------+
 * |           lease id (0 = none: static, unauthenticated)        |  8
 * +---------------------------------------------------------------+
 * |      nonce: the secret workers echo in their WorkerHello      | 16
 * +---------------------------------------------------------------+
 * |                        memory in MiB                          | 24
 * +---------------------------------------------------------------+
 * |   hot timeout in MICROseconds (-1 always hot, 0 always warm)  | 32
 * +---------------------------------------------------------------+
 * |  requested lease duration in milliseconds (0 = node default)  | 40
 * +---------------------------------------------------------------+
 * |                            cores                              | 48
 * +---------------------------------------------------------------+
 * |                input capacity (bytes per call)                | 52
 * +---------------------------------------------------------------+
 * |               output capacity (bytes per call)                | 56
 * +-------------------------------+---------------+---------------+
 * |       slots per worker        | package kind  |  reserved, 0  | 60
 * +-------------------------------+---------------+---------------+
 * |                  package size in bytes                        | 64
 * +-------------------------------+-------------------------------+
 * |   function names that follow  |          reserved, 0          | 68
 * +-------------------------------+-------------------------------+
 * |   SHA-256 of the package, 32 bytes (all zero: not announced)  | 72
 * |                              ...                              |
 * +---------------------------------------------------------------+
 * |  token: u16 length + UTF-8 | client address: u16 + UTF-8 |    | 104
 * |  function names (native packages): u16 length + ASCII each    |
 * +---------------------------------------------------------------+
 * </pre>
 *
 * @param leaseId the lease granted by the resource manager, or 0 without one
 * @param nonce random; proves that a worker connection comes from the executor this allocation made
 * @param shape the executor asked for: cores, memory (its heap), hot timeout, slots per worker,
 *     input and output capacity (range-checked by {@link ExecutorShape})
 * @param leaseDurationMillis lease length asked for when there is no token, 0 for the node default
 * @param packageKind JAR or native library
 * @param packageSize bytes of the package that follow in chunks (none when the manager answers
 *     that its package cache holds a verified copy)
 * @param packageDigest SHA-256 of the package, by which the manager looks it up in its cache and
 *     which it checks the received bytes against; {@link PackageDigest#NONE} when not announced
 * @param token the resource manager's lease token, empty without one
 * @param clientAddress where the executor's workers connect to
 * @param functionNames for native packages, the symbols to resolve; empty for JARs
 */
public record AllocationRequest(long leaseId, long nonce, ExecutorShape shape, long leaseDurationMillis,
        PackageKind packageKind, int packageSize, PackageDigest packageDigest, String token, String clientAddress,
        List<String> functionNames) {

    public static final int LEASE_ID_OFFSET = 8;
    public static final int NONCE_OFFSET = 16;
    public static final int MEMORY_OFFSET = 24;
    public static final int HOT_TIMEOUT_OFFSET = 32;
    public static final int DURATION_OFFSET = 40;
    public static final int CORES_OFFSET = 48;
    public static final int INPUT_CAPACITY_OFFSET = 52;
    public static final int OUTPUT_CAPACITY_OFFSET = 56;
    public static final int SLOTS_OFFSET = 60;
    public static final int PACKAGE_KIND_OFFSET = 62;
    public static final int PACKAGE_SIZE_OFFSET = 64;
    public static final int FUNCTION_COUNT_OFFSET = 68;
    public static final int DIGEST_OFFSET = 72;
    public static final int FIXED_LENGTH = DIGEST_OFFSET + PackageDigest.LENGTH;

    public AllocationRequest {
        functionNames = List.copyOf(functionNames);
        check(packageDigest != null, "no package digest (use PackageDigest.NONE for none)");
        validate(leaseId, shape, leaseDurationMillis, packageKind, packageSize, token, clientAddress, functionNames);
    }

    /** A request that announces no package digest (the package is always sent). */
    public AllocationRequest(long leaseId, long nonce, ExecutorShape shape, long leaseDurationMillis,
            PackageKind packageKind, int packageSize, String token, String clientAddress, List<String> functionNames) {
        this(leaseId, nonce, shape, leaseDurationMillis, packageKind, packageSize, PackageDigest.NONE, token,
                clientAddress, functionNames);
    }

    /** Encodes this request at {@code offset}; returns the message length. */
    public int encode(MemorySegment buffer, long offset) {
        WireCursor c = new WireCursor(buffer, offset + FIXED_LENGTH, buffer.byteSize());
        c.putString(token, Limits.MAX_TOKEN_BYTES, "lease token");
        c.putString(clientAddress, Limits.MAX_ADDRESS_BYTES, "client address");
        c.putFunctionNames(functionNames);
        int length = (int) (c.position() - offset);
        MessageHeader.write(buffer, offset, MessageType.ALLOCATION_REQUEST, length);
        buffer.set(Wire.LONG, offset + LEASE_ID_OFFSET, leaseId);
        buffer.set(Wire.LONG, offset + NONCE_OFFSET, nonce);
        buffer.set(Wire.LONG, offset + MEMORY_OFFSET, shape.memoryMiB());
        buffer.set(Wire.LONG, offset + HOT_TIMEOUT_OFFSET, shape.hotTimeoutMicros());
        buffer.set(Wire.LONG, offset + DURATION_OFFSET, leaseDurationMillis);
        buffer.set(Wire.INT, offset + CORES_OFFSET, shape.cores());
        buffer.set(Wire.INT, offset + INPUT_CAPACITY_OFFSET, shape.inputCapacity());
        buffer.set(Wire.INT, offset + OUTPUT_CAPACITY_OFFSET, shape.outputCapacity());
        buffer.set(Wire.SHORT, offset + SLOTS_OFFSET, (short) shape.slotsPerWorker());
        buffer.set(ValueLayout.JAVA_BYTE, offset + PACKAGE_KIND_OFFSET, (byte) packageKind.code());
        buffer.set(ValueLayout.JAVA_BYTE, offset + PACKAGE_KIND_OFFSET + 1, (byte) 0);
        buffer.set(Wire.INT, offset + PACKAGE_SIZE_OFFSET, packageSize);
        buffer.set(Wire.SHORT, offset + FUNCTION_COUNT_OFFSET, (short) functionNames.size());
        buffer.set(Wire.SHORT, offset + FUNCTION_COUNT_OFFSET + 2, (short) 0);
        packageDigest.write(buffer, offset + DIGEST_OFFSET);
        return length;
    }

    /**
     * Decodes and validates a request of {@code received} bytes.
     *
     * @throws org.rfaas.transport.ProtocolException naming the first bad field
     */
    public static AllocationRequest decode(MemorySegment buffer, long offset, int received) {
        MessageHeader.expect(buffer, offset, received, MessageType.ALLOCATION_REQUEST, FIXED_LENGTH);
        PackageKind kind = PackageKind.ofCode(buffer.get(ValueLayout.JAVA_BYTE, offset + PACKAGE_KIND_OFFSET) & 0xff);
        if (kind == null) {
            throw WireCursor.badField("unknown package kind "
                    + (buffer.get(ValueLayout.JAVA_BYTE, offset + PACKAGE_KIND_OFFSET) & 0xff));
        }
        int functionCount = WireCursor.functionCount(buffer, offset + FUNCTION_COUNT_OFFSET);
        WireCursor c = new WireCursor(buffer, offset + FIXED_LENGTH, offset + received);
        String token = c.getString(Limits.MAX_TOKEN_BYTES, "lease token");
        String address = c.getString(Limits.MAX_ADDRESS_BYTES, "client address");
        List<String> names = c.getFunctionNames(functionCount);
        c.expectEnd(MessageType.ALLOCATION_REQUEST);
        try {
            ExecutorShape shape = new ExecutorShape(buffer.get(Wire.INT, offset + CORES_OFFSET),
                    buffer.get(Wire.LONG, offset + MEMORY_OFFSET), buffer.get(Wire.LONG, offset + HOT_TIMEOUT_OFFSET),
                    buffer.get(Wire.SHORT, offset + SLOTS_OFFSET) & 0xffff,
                    buffer.get(Wire.INT, offset + INPUT_CAPACITY_OFFSET),
                    buffer.get(Wire.INT, offset + OUTPUT_CAPACITY_OFFSET));
            return new AllocationRequest(buffer.get(Wire.LONG, offset + LEASE_ID_OFFSET),
                    buffer.get(Wire.LONG, offset + NONCE_OFFSET), shape, buffer.get(Wire.LONG, offset + DURATION_OFFSET),
                    kind, buffer.get(Wire.INT, offset + PACKAGE_SIZE_OFFSET),
                    PackageDigest.read(buffer, offset + DIGEST_OFFSET), token, address, names);
        } catch (IllegalArgumentException e) {
            throw WireCursor.badField(e.getMessage());
        }
    }

    /** The request's own fields; the executor's shape checked itself when it was made. */
    private static void validate(long leaseId, ExecutorShape shape, long durationMillis, PackageKind kind,
            int packageSize, String token, String clientAddress, List<String> names) {
        check(leaseId >= 0, "lease id " + leaseId + " is negative");
        check(shape != null, "no executor shape");
        check(durationMillis >= 0, "lease duration " + durationMillis + " ms is negative");
        check(kind != null, "no package kind");
        check(packageSize > 0 && packageSize <= Limits.MAX_PACKAGE_BYTES, "package size " + packageSize
                + " is outside 1.." + Limits.MAX_PACKAGE_BYTES);
        check(clientAddress != null && !clientAddress.isEmpty(), "no client address");
        check(token != null, "token is null (use \"\" for none)");
        check(kind != PackageKind.NATIVE || !names.isEmpty(), "a native package needs the function names to resolve");
        check(names.size() <= Limits.MAX_FUNCTIONS, "too many function names");
        for (String n : names) {
            check(FunctionNames.isValid(n), "invalid function name '" + n + "'");
        }
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
