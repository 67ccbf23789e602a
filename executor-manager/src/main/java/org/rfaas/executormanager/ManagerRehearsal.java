package org.rfaas.executormanager;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import org.rfaas.executormanager.packages.PackageCache;
import org.rfaas.protocol.AllocationRefusal;
import org.rfaas.protocol.AllocationRequest;
import org.rfaas.protocol.AllocationResponse;
import org.rfaas.protocol.ExecutorAssignment;
import org.rfaas.protocol.ExecutorShape;
import org.rfaas.protocol.MessageHeader;
import org.rfaas.protocol.PackageAck;
import org.rfaas.protocol.PackageDigest;
import org.rfaas.protocol.PackageKind;

/**
 * What the manager runs many times over at start, on a thread of its own, so that its first leases
 * run compiled code: hashing a package and the messages of an allocation. A manager serves tens of
 * allocations, not thousands, so without this every one of them would run that code in the
 * interpreter; the cold-start trace had the package cache's re-hash of a cached 11 KB JAR (which
 * every lease of a cached package pays) at 3-5 ms, and the request → assignment path around it at
 * 2-3 ms more. Touches nothing but a scratch file of its own.
 */
final class ManagerRehearsal {
    /** Hashed this many times over: enough blocks for the JIT to compile SHA-256 with its intrinsic. */
    private static final int HASH_FILE_BYTES = 32 * 1024;
    private static final int HASH_ROUNDS = 400;
    /** Each message encoded (and the request decoded) this many times: past the JIT's compile thresholds. */
    static final int MESSAGE_ROUNDS = 2_000;

    private ManagerRehearsal() {
    }

    /**
     * Runs the rehearsal with a scratch file in {@code scratchDirectory} (deleted again); returns
     * a value derived from everything computed, so that none of it is dead code.
     *
     * @throws IOException when the scratch file cannot be written or read
     */
    static long run(Path scratchDirectory) throws IOException {
        return hashing(scratchDirectory) ^ messages(MESSAGE_ROUNDS);
    }

    /** {@link PackageCache#hash} of a file, and a digest fed from native memory as a received package is. */
    private static long hashing(Path scratchDirectory) throws IOException {
        Path file = Files.createTempFile(scratchDirectory, "rehearsal-", ".bin");
        long sum = 0;
        try (Arena arena = Arena.ofConfined()) {
            Files.write(file, new byte[HASH_FILE_BYTES]);
            for (int i = 0; i < HASH_ROUNDS; i++) {
                sum += PackageCache.hash(file).hex().hashCode();
            }
            MemorySegment chunk = arena.allocate(64 * 1024);
            MessageDigest digest = PackageDigest.sha256();
            for (int i = 0; i < HASH_ROUNDS / 4; i++) {
                digest.update(chunk.asByteBuffer());
            }
            sum += PackageDigest.of(digest).hex().hashCode();
        } finally {
            Files.deleteIfExists(file);
        }
        return sum;
    }

    /** An allocation's messages: the request decoded, the package acks, the assignment and the answer encoded. */
    static long messages(int rounds) {
        long sum = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(16 * 1024, 8);
            ExecutorShape shape = new ExecutorShape(1, 256, 1000, 1, 64, 64);
            AllocationRequest request = new AllocationRequest(1, 2, shape, 60_000, PackageKind.JAR, 11_000,
                    PackageDigest.of(new byte[] {1}), "", "shm:/rehearsal/client.sock", List.of());
            ExecutorAssignment assignment = new ExecutorAssignment(1, 2, shape, PackageKind.JAR, request.packageDigest(), 10,
                    "shm:/rehearsal/client.sock", "/rehearsal/lease-1/package.jar", List.of());
            AllocationResponse response = new AllocationResponse(1, 60_000, AllocationRefusal.NONE, "");
            // A lease's log line formats its shape: a record's toString bootstraps through
            // invokedynamic at first use, ~6 ms of class generation in a manager's first lease.
            sum += shape.toString().length();
            for (int i = 0; i < rounds; i++) {
                int length = request.encode(buffer, 0);
                sum += AllocationRequest.decode(buffer, 0, length).leaseId();
                sum += PackageAck.write(buffer, 0, i);
                length = assignment.encode(buffer, 0);
                sum += MessageHeader.check(buffer, 0, length, MessageHeader.LENGTH).ordinal();
                sum += response.encode(buffer, 0);
            }
        }
        return sum;
    }
}
