package org.rfaas.protocol;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.rfaas.function.FunctionNames;
import org.rfaas.transport.Wire;

/**
 * The manager hands a lease to an executor: the one and only way an executor learns what it
 * serves. Every executor JVM starts with no lease-specific arguments (just the manager's address,
 * its spawn secret in the environment), says {@link ExecutorHello} and waits for this message: a
 * spare, started ahead of demand with the heap size of the leases asked for lately, may wait long;
 * one forked for a lease gets it at once. The shape's range checks are {@link ExecutorShape}'s.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |         magic "RF"            |    version    |   ASSIGNMENT  |  0
 * +-------------------------------+---------------+---------------+
 * |                        message length                         |  4
 * +---------------------------------------------------------------+
 * |                           lease id                            |  8
 * +---------------------------------------------------------------+
 * |                  client nonce (for the worker hellos)         | 16
 * +---------------------------------------------------------------+
 * |   hot timeout in MICROseconds (-1 always hot, 0 always warm)  | 24
 * +---------------------------------------------------------------+
 * |                            cores                              | 32
 * +---------------------------------------------------------------+
 * |                       input capacity                          | 36
 * +---------------------------------------------------------------+
 * |                       output capacity                         | 40
 * +-------------------------------+---------------+---------------+
 * |       slots per worker        | package kind  |  reserved, 0  | 44
 * +-------------------------------+---------------+---------------+
 * |              accounting flush interval, ms                    | 48
 * +-------------------------------+-------------------------------+
 * |        function names         |          reserved, 0          | 52
 * +-------------------------------+-------------------------------+
 * |           memory in MiB (the JVM's heap, -Xmx)                | 56
 * +---------------------------------------------------------------+
 * |   package SHA-256, as the manager verified the file (32 bytes) | 64
 * +---------------------------------------------------------------+
 * | client address: u16 + UTF-8 | package path: u16 + UTF-8 |      | 96
 * | function names: u16 + ASCII each ...                          |
 * +---------------------------------------------------------------+
 * </pre>
 *
 * @param leaseId the lease the executor serves
 * @param clientNonce what its workers echo in their {@link WorkerHello}, so that the client knows them
 * @param shape cores, memory, hot timeout, slots and capacities
 * @param packageKind JAR or native library
 * @param packageDigest the SHA-256 the manager checked the package file against before this
 *     assignment (a cached file re-hashed, a shipped one hashed as it arrived);
 *     {@link PackageDigest#NONE} when the client announced none
 * @param flushIntervalMillis how often the executor adds its accounting deltas to the manager's counters
 * @param clientAddress where the workers connect to
 * @param packagePath the package file in the lease's work directory
 * @param functionNames for a native package, the symbols to resolve; empty for JARs
 */
public record ExecutorAssignment(long leaseId, long clientNonce, ExecutorShape shape, PackageKind packageKind,
        PackageDigest packageDigest, int flushIntervalMillis, String clientAddress, String packagePath,
        List<String> functionNames) {
    public static final int LEASE_ID_OFFSET = 8;
    public static final int NONCE_OFFSET = 16;
    public static final int HOT_TIMEOUT_OFFSET = 24;
    public static final int CORES_OFFSET = 32;
    public static final int INPUT_CAPACITY_OFFSET = 36;
    public static final int OUTPUT_CAPACITY_OFFSET = 40;
    public static final int SLOTS_OFFSET = 44;
    public static final int PACKAGE_KIND_OFFSET = 46;
    public static final int FLUSH_OFFSET = 48;
    public static final int FUNCTION_COUNT_OFFSET = 52;
    public static final int MEMORY_OFFSET = 56;
    public static final int DIGEST_OFFSET = 64;
    public static final int FIXED_LENGTH = DIGEST_OFFSET + PackageDigest.LENGTH;
    private static final int MAX_PATH_BYTES = 4096;

    public ExecutorAssignment {
        functionNames = List.copyOf(functionNames);
        if (leaseId <= 0 || shape == null || flushIntervalMillis < 1 || packageKind == null || packageDigest == null
                || clientAddress.isEmpty() || packagePath.isEmpty() || functionNames.size() > Limits.MAX_FUNCTIONS) {
            throw new IllegalArgumentException("executor assignment has a field out of range: lease " + leaseId
                    + ", shape " + shape + ", package kind " + packageKind + ", flush " + flushIntervalMillis
                    + " ms, " + functionNames.size() + " function names");
        }
        functionNames.forEach(FunctionNames::require);
    }

    /** Encodes; returns the length. */
    public int encode(MemorySegment buffer, long offset) {
        WireCursor c = new WireCursor(buffer, offset + FIXED_LENGTH, buffer.byteSize());
        c.putString(clientAddress, Limits.MAX_ADDRESS_BYTES, "client address");
        c.putString(packagePath, MAX_PATH_BYTES, "package path");
        c.putFunctionNames(functionNames);
        int length = (int) (c.position() - offset);
        MessageHeader.write(buffer, offset, MessageType.EXECUTOR_ASSIGNMENT, length);
        buffer.set(Wire.LONG, offset + LEASE_ID_OFFSET, leaseId);
        buffer.set(Wire.LONG, offset + NONCE_OFFSET, clientNonce);
        buffer.set(Wire.LONG, offset + HOT_TIMEOUT_OFFSET, shape.hotTimeoutMicros());
        buffer.set(Wire.INT, offset + CORES_OFFSET, shape.cores());
        buffer.set(Wire.INT, offset + INPUT_CAPACITY_OFFSET, shape.inputCapacity());
        buffer.set(Wire.INT, offset + OUTPUT_CAPACITY_OFFSET, shape.outputCapacity());
        buffer.set(Wire.SHORT, offset + SLOTS_OFFSET, (short) shape.slotsPerWorker());
        buffer.set(ValueLayout.JAVA_BYTE, offset + PACKAGE_KIND_OFFSET, (byte) packageKind.code());
        buffer.set(ValueLayout.JAVA_BYTE, offset + PACKAGE_KIND_OFFSET + 1, (byte) 0);
        buffer.set(Wire.INT, offset + FLUSH_OFFSET, flushIntervalMillis);
        buffer.set(Wire.SHORT, offset + FUNCTION_COUNT_OFFSET, (short) functionNames.size());
        buffer.set(Wire.SHORT, offset + FUNCTION_COUNT_OFFSET + 2, (short) 0);
        buffer.set(Wire.LONG, offset + MEMORY_OFFSET, shape.memoryMiB());
        packageDigest.write(buffer, offset + DIGEST_OFFSET);
        return length;
    }

    /** Decodes and validates. */
    public static ExecutorAssignment decode(MemorySegment buffer, long offset, int received) {
        MessageHeader.expect(buffer, offset, received, MessageType.EXECUTOR_ASSIGNMENT, FIXED_LENGTH);
        PackageKind kind = PackageKind.ofCode(buffer.get(ValueLayout.JAVA_BYTE, offset + PACKAGE_KIND_OFFSET) & 0xff);
        if (kind == null) {
            throw WireCursor.badField("unknown package kind in executor assignment");
        }
        int count = WireCursor.functionCount(buffer, offset + FUNCTION_COUNT_OFFSET);
        WireCursor c = new WireCursor(buffer, offset + FIXED_LENGTH, offset + received);
        String address = c.getString(Limits.MAX_ADDRESS_BYTES, "client address");
        String path = c.getString(MAX_PATH_BYTES, "package path");
        List<String> names = c.getFunctionNames(count);
        c.expectEnd(MessageType.EXECUTOR_ASSIGNMENT);
        try {
            ExecutorShape shape = new ExecutorShape(buffer.get(Wire.INT, offset + CORES_OFFSET),
                    buffer.get(Wire.LONG, offset + MEMORY_OFFSET), buffer.get(Wire.LONG, offset + HOT_TIMEOUT_OFFSET),
                    buffer.get(Wire.SHORT, offset + SLOTS_OFFSET) & 0xffff,
                    buffer.get(Wire.INT, offset + INPUT_CAPACITY_OFFSET),
                    buffer.get(Wire.INT, offset + OUTPUT_CAPACITY_OFFSET));
            return new ExecutorAssignment(buffer.get(Wire.LONG, offset + LEASE_ID_OFFSET),
                    buffer.get(Wire.LONG, offset + NONCE_OFFSET), shape, kind,
                    PackageDigest.read(buffer, offset + DIGEST_OFFSET), buffer.get(Wire.INT, offset + FLUSH_OFFSET),
                    address, path, names);
        } catch (IllegalArgumentException e) {
            throw WireCursor.badField(e.getMessage());
        }
    }
}
