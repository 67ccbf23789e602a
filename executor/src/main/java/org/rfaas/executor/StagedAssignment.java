package org.rfaas.executor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.rfaas.protocol.ExecutorAssignment;
import org.rfaas.transport.ProtocolException;

/**
 * The assignment of an executor forked for its lease, which the manager wrote to a file before
 * the fork ({@code --assignment}): read, checked as the wire message, and its package loaded, on a
 * thread of its own while the executor's main thread connects to its manager.
 *
 * @param assignment completes with the file's assignment, or with the
 *     {@link IllegalArgumentException} saying why it holds none
 * @param functions completes with the assignment's package loaded, or with why it did not
 */
record StagedAssignment(CompletableFuture<ExecutorAssignment> assignment, CompletableFuture<FunctionTable> functions) {

    /** Starts reading {@code file} and loading its package on a thread of its own. */
    static StagedAssignment load(Path file) {
        StagedAssignment staged = new StagedAssignment(new CompletableFuture<>(), new CompletableFuture<>());
        Thread.ofPlatform().daemon().name("rfaas-package-load").start(() -> {
            try {
                ExecutorAssignment a = read(file);
                staged.assignment.complete(a);
                staged.functions.complete(FunctionTable.load(a.packageKind(), Path.of(a.packagePath()), a.functionNames()));
            } catch (Throwable t) {
                staged.assignment.completeExceptionally(t);
                staged.functions.completeExceptionally(t);
            }
        });
        return staged;
    }

    /**
     * The assignment the manager wrote: the message a spare gets after its hello, checked the same way.
     *
     * @throws IllegalArgumentException when the file cannot be read or holds no valid assignment
     */
    static ExecutorAssignment read(Path file) {
        try (FileChannel channel = FileChannel.open(file); Arena arena = Arena.ofConfined()) {
            long size = channel.size();
            if (size > ExecutorMain.MAX_ASSIGNMENT_BYTES) {
                throw new IllegalArgumentException("--assignment " + file + ": " + size + " bytes, more than "
                        + ExecutorMain.MAX_ASSIGNMENT_BYTES);
            }
            MemorySegment buffer = arena.allocate(Math.max(1, size));
            ByteBuffer view = buffer.asByteBuffer();
            while (view.hasRemaining() && channel.read(view) >= 0) {
                // until the file's end
            }
            return ExecutorAssignment.decode(buffer, 0, view.position());
        } catch (IOException | ProtocolException e) {
            throw new IllegalArgumentException("--assignment " + file + ": " + e.getMessage(), e);
        }
    }
}
