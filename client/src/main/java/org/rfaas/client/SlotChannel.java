package org.rfaas.client;

import java.lang.foreign.MemorySegment;

import java.util.concurrent.CompletableFuture;
import org.rfaas.transport.Connection;

/**
 * The worker connection as its {@link InvocationSlot}s see it: where a slot's request goes, how it
 * waits for its reply, and how it gives its receive slot back. {@link WorkerChannel} implements
 * it; the slots depend on this interface only, so that the channel, which owns and dispatches its
 * slots, and the slots do not refer to each other in a circle.
 */
interface SlotChannel {

    /** The worker's connection (a slot's result lands in the receive slot of its own index). */
    Connection connection();

    /** The worker's index in its executor. */
    int workerIndex();

    /** The largest output a call on this worker may ask for. */
    int outputCapacity();

    /** The functions of the package, by index. */
    FunctionTable functions();

    /** Throws the channel's failure, if it failed. */
    void throwIfFailed();

    /** Sends {@code length} bytes of the send buffer from {@code offset} to the worker's slot {@code peerSlot}. */
    void send(int peerSlot, long offset, int length, int immediate);

    /** Sends {@code length} bytes of {@code source} (memory of the connection's) to the worker's slot {@code peerSlot}. */
    void send(int peerSlot, MemorySegment source, long offset, int length, int immediate);

    /** Waits until {@code slot} has its reply, dispatching whatever arrives meanwhile. */
    void awaitReply(InvocationSlot slot, WaitMode mode);

    /**
     * One non-blocking step for {@code slot}: dispatches at most one arrived completion; returns
     * whether {@code slot} now has its reply. Throws the channel's failure.
     */
    boolean pollReply(InvocationSlot slot);

    /** {@link #awaitReply(InvocationSlot, WaitMode)} until {@code deadline}; false (slot abandoned) when it passed. */
    boolean awaitReply(InvocationSlot slot, WaitMode mode, long deadline);

    /** Gives receive slot {@code slot} back to the transport. */
    void releaseReceive(int slot);

    /** Gives up on the pending asynchronous call {@code future} in {@code slot}; false when its reply won. */
    boolean abandon(InvocationSlot slot, CompletableFuture<byte[]> future);
}
