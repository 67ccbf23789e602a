package org.rfaas.client;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.rfaas.protocol.InvocationHeader;
import org.rfaas.protocol.MessageType;
import org.rfaas.protocol.ReplyHeader;
import org.rfaas.protocol.Status;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.IdleStrategy;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.TransportException;

/**
 * The client's side of one executor worker: its connection, its send memory (one region of header
 * plus input per slot: a registered send buffer, or on shm the executor's receive slots) and its
 * {@link InvocationSlot}s.
 *
 * <p>The connection allows one sending and one receiving thread at a time; both turns are taken
 * with a compare-and-set flag, never a lock, so a blocking caller, other callers and the
 * background poller can share a worker. Whoever holds the receive turn dispatches any reply that
 * arrives to its slot, so a caller never waits on a reply someone else has already consumed.
 * A turn is given back with a release store, which is all an unlock needs: a full volatile store
 * would cost a fence on every empty poll of a spinning caller.
 *
 * <p>Dependencies point one way: {@link RemoteExecutor} owns its channels and gives each the
 * lease's shape ({@link FunctionTable}, output capacity, {@link AsyncCalls}); a channel knows
 * nothing of the executor. A channel and its {@link InvocationSlot}s are one unit (the slot is
 * the channel's in-flight record, the channel dispatches replies into it).
 */
final class WorkerChannel implements SlotChannel {
    private final long leaseId;
    private final int outputCapacity;
    private final FunctionTable functions;
    private final AsyncCalls async;
    private final int workerIndex;
    private final Connection connection;
    private final InvocationSlot[] slots;
    private final int noticeSlot;
    private final AtomicInteger sendTurn = new AtomicInteger();
    private final AtomicInteger receiveTurn = new AtomicInteger();
    private final AtomicReference<RfaasException> failure = new AtomicReference<>();
    private final Completion completion = new Completion();
    private final ReplyHeader reply = new ReplyHeader();
    /** Per slot, the memory its header and input are built in and sent from. */
    private final MemorySegment[] sendSources;
    /** {@link Connection#releaseRequired()}. */
    private final boolean releaseRequired;

    WorkerChannel(long leaseId, int workerIndex, Connection connection, int slotCount, int inputCapacity,
            int outputCapacity, FunctionTable functions, AsyncCalls async) {
        this.leaseId = leaseId;
        this.outputCapacity = outputCapacity;
        this.functions = functions;
        this.async = async;
        this.workerIndex = workerIndex;
        this.connection = connection;
        this.noticeSlot = connection.localSpec().slots() - 1;
        this.releaseRequired = connection.releaseRequired();
        this.slots = new InvocationSlot[slotCount];
        this.sendSources = new MemorySegment[slotCount];
        long message = InvocationHeader.LENGTH + (long) inputCapacity;
        // Where the transport shares memory with the executor (shm), each slot's header and input
        // are built in the executor's receive slot of the same index: the invocation then moves
        // no payload bytes, and the executor reads the input where the caller wrote it. That slot
        // is the caller's again once the reply for it arrived (the executor releases it first).
        // Elsewhere each slot has a registered buffer of its own, and a message starts at its
        // start (where tcp puts the frame header in front of it, so that both leave in one write).
        boolean inPlace = slotCount <= connection.peerSpec().slots() && connection.peerSpec().slotSize() >= message
                && connection.sharedPeerSlot(0).isPresent();
        // A message short enough to travel inside the completion is better built in memory of
        // this process's own (see Connection.inlineLimit): each in-place slot gets such a staging
        // buffer too, used by the calls that know their input length before writing it.
        int staging = inPlace ? connection.inlineLimit() : 0;
        for (int i = 0; i < slotCount; i++) {
            sendSources[i] = inPlace ? connection.sharedPeerSlot(i).orElseThrow() : connection.allocateBuffer(message);
            slots[i] = new InvocationSlot(this, i, sendSources[i], 0, inputCapacity,
                    staging > InvocationHeader.LENGTH ? connection.allocateBuffer(staging) : null);
        }
    }

    /** Largest output of one call, as allocated. */
    @Override
    public int outputCapacity() {
        return outputCapacity;
    }

    @Override
    public FunctionTable functions() {
        return functions;
    }

    @Override
    public int workerIndex() {
        return workerIndex;
    }

    @Override
    public Connection connection() {
        return connection;
    }

    InvocationSlot[] slots() {
        return slots;
    }

    /** Takes a free slot of this worker, or returns {@code null}. */
    InvocationSlot tryAcquire() {
        for (InvocationSlot s : slots) {
            if (s.state.get() == InvocationSlot.FREE && s.state.compareAndSet(InvocationSlot.FREE, InvocationSlot.ACQUIRED)) {
                return s;
            }
        }
        return null;
    }

    boolean hasPending() {
        for (InvocationSlot s : slots) {
            if (s.state.get() == InvocationSlot.PENDING) {
                return true;
            }
        }
        return false;
    }

    RfaasException failure() {
        return failure.get();
    }

    @Override
    public void throwIfFailed() {
        RfaasException f = failure.get();
        if (f != null) {
            throw f;
        }
    }

    @Override
    public void send(int peerSlot, long offset, int length, int immediate) {
        send(peerSlot, sendSources[peerSlot], offset, length, immediate);
    }

    @Override
    public void send(int peerSlot, MemorySegment source, long offset, int length, int immediate) {
        while (!sendTurn.compareAndSet(0, 1)) {
            Thread.onSpinWait();
        }
        PeerFailedException gone = null;
        try {
            connection.write(peerSlot, source, offset, length, immediate);
        } catch (PeerFailedException e) {
            gone = e;
        } finally {
            sendTurn.setRelease(0);
        }
        if (gone != null) {
            drainAfterPeerFailure();
            fail(new ExecutorLostException("executor worker " + workerIndex + " of lease " + leaseId
                    + " is gone: " + gone.getMessage(), gone));
            throwIfFailed();
        }
    }

    /**
     * The executor may have said why it went away (lease expired, revoked) just before closing:
     * read what it delivered, so the caller gets that reason rather than "executor lost".
     */
    private void drainAfterPeerFailure() {
        long deadline = System.nanoTime() + 100_000_000L;
        while (!receiveTurn.compareAndSet(0, 1)) {
            if (failure.get() != null || System.nanoTime() - deadline > 0) {
                return;
            }
            Thread.onSpinWait();
        }
        InvocationSlot completed = null;
        try {
            while (failure.get() == null && completed == null && connection.poll(completion)) {
                completed = dispatch(completion);
            }
        } catch (TransportException e) {
            // Nothing more was delivered; the caller reports the peer failure.
        } finally {
            receiveTurn.setRelease(0);
        }
        if (completed != null) {
            completeAsync(completed);
        }
    }

    /** Waits until {@code slot} has its reply (state DONE), dispatching whatever arrives meanwhile. */
    @Override
    public void awaitReply(InvocationSlot slot, WaitMode mode) {
        IdleStrategy idle = idleFor(mode);
        while (slot.state.get() != InvocationSlot.DONE) {
            RfaasException f = failure.get();
            if (f != null) {
                slot.state.set(InvocationSlot.ACQUIRED);
                throw f;
            }
            if (!progress(mode == WaitMode.HOT ? 0 : 10_000_000L)) {
                idle.idle();
            }
        }
    }

    @Override
    public boolean pollReply(InvocationSlot slot) {
        if (slot.state.get() == InvocationSlot.DONE) {
            return true;
        }
        RfaasException f = failure.get();
        if (f != null) {
            slot.state.set(InvocationSlot.ACQUIRED);
            throw f;
        }
        progress(0);
        return slot.state.get() == InvocationSlot.DONE;
    }

    /**
     * {@link #awaitReply(InvocationSlot, WaitMode)} until {@code deadline} ({@link System#nanoTime()}).
     *
     * @return {@code true} when the reply arrived; {@code false} when the deadline passed first,
     *     and the slot is then ABANDONED (freed by the dispatcher when the late reply arrives)
     */
    @Override
    public boolean awaitReply(InvocationSlot slot, WaitMode mode, long deadline) {
        IdleStrategy idle = idleFor(mode);
        while (slot.state.get() != InvocationSlot.DONE) {
            RfaasException f = failure.get();
            if (f != null) {
                slot.state.set(InvocationSlot.ACQUIRED);
                throw f;
            }
            if (System.nanoTime() - deadline >= 0 && abandon(slot, null)) {
                return false;
            }
            if (!progress(mode == WaitMode.HOT ? 0 : Math.min(10_000_000L, Math.max(0, deadline - System.nanoTime())))) {
                idle.idle();
            }
        }
        return true;
    }

    /**
     * After an empty progress step: a hot caller spins on its core; a warm one has just waited in
     * the transport (up to 10 ms) and only yields before it waits again.
     */
    private static IdleStrategy idleFor(WaitMode mode) {
        return mode == WaitMode.HOT ? IdleStrategy.BUSY_SPIN : IdleStrategy.YIELD;
    }

    /**
     * Gives up on a pending call, under the receive turn so that no dispatcher is completing it
     * at the same moment. Returns false when the reply won the race (the slot is DONE, or the
     * asynchronous call is being completed).
     *
     * @param future for an asynchronous call, its future: the slot is abandoned only if it still
     *     carries that call (it may have completed and been reused meanwhile)
     */
    @Override
    public boolean abandon(InvocationSlot slot, CompletableFuture<byte[]> future) {
        while (!receiveTurn.compareAndSet(0, 1)) {
            Thread.onSpinWait();
        }
        try {
            if (future != null && slot.future != future) {
                return false;
            }
            return slot.state.compareAndSet(InvocationSlot.PENDING, InvocationSlot.ABANDONED);
        } finally {
            receiveTurn.setRelease(0);
        }
    }

    /**
     * Takes the receive turn if free, polls (or waits up to {@code waitNanos}) for one completion
     * and dispatches it.
     *
     * @return {@code true} if the turn was taken (whether or not a completion arrived)
     */
    boolean progress(long waitNanos) {
        return takeIn(1, waitNanos) >= 0;
    }

    /**
     * Like {@link #progress(long) progress(0)}, but takes in up to {@code max} arrived completions
     * under one receive turn: a pipeline's poll pays one compare-and-set for a batch of replies.
     *
     * @return completions dispatched
     */
    int progressBatch(int max) {
        return Math.max(0, takeIn(max, 0));
    }

    /**
     * Under the receive turn: waits up to {@code waitNanos} for a first completion (0: polls),
     * then polls for more, up to {@code max}, dispatching each. Stops early at an asynchronous
     * call's reply, which is completed outside the turn (its callbacks may invoke again).
     *
     * @return completions dispatched, or -1 when another thread holds the turn
     */
    private int takeIn(int max, long waitNanos) {
        if (!receiveTurn.compareAndSet(0, 1)) {
            return -1;
        }
        InvocationSlot completed = null;
        int n = 0;
        try {
            if (failure.get() == null
                    && (waitNanos == 0 ? connection.poll(completion) : connection.await(completion, waitNanos))) {
                n = 1;
                completed = dispatch(completion);
                while (completed == null && n < max && failure.get() == null && connection.poll(completion)) {
                    n++;
                    completed = dispatch(completion);
                }
            }
        } catch (TransportException e) {
            failOn(e);
        } finally {
            receiveTurn.setRelease(0);
        }
        if (completed != null) {
            completeAsync(completed);
        }
        return n;
    }

    /** The transport failed under the receive turn: the worker fails with the matching typed error. */
    private void failOn(TransportException e) {
        if (e instanceof PeerFailedException) {
            fail(new ExecutorLostException("executor worker " + workerIndex + " of lease " + leaseId
                    + " is gone: " + e.getMessage(), e));
        } else if (e instanceof ProtocolException) {
            fail(new InvocationProtocolException("executor worker " + workerIndex + " sent a malformed message: "
                    + e.getMessage()));
            connection.close();
        } else {
            fail(new ExecutorLostException("executor worker " + workerIndex + ": " + e.getMessage(), e));
        }
    }

    /** Routes one completion to its slot. Returns the slot when it was an asynchronous call. */
    private InvocationSlot dispatch(Completion c) {
        int slotIndex = c.slot();
        MemorySegment receive = connection.receiveSlot(slotIndex);
        // The header from the head copy (shm: it came with the completion's cache line).
        MessageType type = reply.wrap(connection.receiveHead(slotIndex), 0).validate(c.length(), c.immediate());
        if (type == MessageType.NOTICE || slotIndex == noticeSlot) {
            Status status = reply.status();
            byte[] text = new byte[reply.payloadLength()];
            MemorySegment.copy(receive, java.lang.foreign.ValueLayout.JAVA_BYTE, ReplyHeader.LENGTH, text, 0, text.length);
            connection.release(slotIndex);
            fail(Statuses.toException(status == Status.OK ? Status.SHUTTING_DOWN : status, null,
                    new String(text, StandardCharsets.UTF_8)));
            return null;
        }
        InvocationSlot slot = slots[slotIndex];
        int state = slot.state.get();
        if (state == InvocationSlot.ABANDONED && slot.invocationId == c.immediate()) {
            // the late reply of a call whose deadline passed: discard it, the slot is free again
            connection.release(slotIndex);
            slot.future = null;
            slot.state.setRelease(InvocationSlot.FREE);
            return null;
        }
        if (state != InvocationSlot.PENDING || slot.invocationId != c.immediate()) {
            throw new ProtocolException(org.rfaas.transport.ProtocolError.BAD_FIELD, "reply 0x"
                    + Integer.toHexString(c.immediate()) + " in slot " + slotIndex + " matches no invocation in flight");
        }
        slot.replyStatus = reply.statusCode();
        slot.replyLength = reply.payloadLength();
        if (slot.future != null) {
            return slot;
        }
        slot.state.setRelease(InvocationSlot.DONE);
        return null;
    }

    /** Completes an asynchronous call outside the receive turn, so callbacks may invoke again. */
    private void completeAsync(InvocationSlot slot) {
        CompletableFuture<byte[]> f = slot.future;
        if (!slot.state.compareAndSet(InvocationSlot.PENDING, InvocationSlot.ACQUIRED)) {
            if (slot.state.get() == InvocationSlot.ABANDONED) {
                // its deadline passed after the reply was dispatched: discard the reply
                releaseReceive(slot.index);
                slot.future = null;
                slot.state.setRelease(InvocationSlot.FREE);
            }
            return; // failed meanwhile: fail() completed the future
        }
        byte[] output = null;
        RfaasException error = null;
        if (slot.replyStatus == Status.OK.code()) {
            output = slot.copyOutput();
        } else {
            error = slot.failure(slot.replyStatus);
        }
        slot.receivePending = true;
        slot.close();
        async.done();
        if (error == null) {
            f.complete(output);
        } else {
            f.completeExceptionally(error);
        }
    }

    /**
     * Gives a receive slot back to the transport (under the receive turn), unless giving it back
     * does nothing there: every call pays for this, and a compare-and-set drains the store buffer.
     */
    @Override
    public void releaseReceive(int slot) {
        if (!releaseRequired) {
            return;
        }
        while (!receiveTurn.compareAndSet(0, 1)) {
            Thread.onSpinWait();
        }
        try {
            if (connection.isOpen()) {
                connection.release(slot);
            }
        } catch (TransportException e) {
            fail(new ExecutorLostException("executor worker " + workerIndex + ": " + e.getMessage(), e));
        } finally {
            receiveTurn.setRelease(0);
        }
    }

    /**
     * The manager said why the executor went away, after the connection's end already failed this
     * worker with a plain "executor lost": further calls fail with the reason when it is a more
     * specific one ({@link MemoryLimitExceededException}).
     */
    void explain(RfaasException reason) {
        RfaasException current = failure.get();
        if (current == null) {
            fail(reason);
        } else if (current.getClass() == ExecutorLostException.class && reason instanceof ExecutorLostException
                && reason.getClass() != ExecutorLostException.class) {
            failure.compareAndSet(current, reason);
        }
    }

    /** Marks the worker failed: every pending and future call fails with {@code error}. */
    void fail(RfaasException error) {
        if (!failure.compareAndSet(null, error)) {
            return;
        }
        for (InvocationSlot s : slots) {
            CompletableFuture<byte[]> f = s.future;
            if (f != null && s.state.get() == InvocationSlot.PENDING && s.state.compareAndSet(InvocationSlot.PENDING,
                    InvocationSlot.ACQUIRED)) {
                s.close();
                async.done();
                f.completeExceptionally(error);
            }
        }
    }

    void close() {
        connection.close();
    }
}
