package org.rfaas.client;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.rfaas.protocol.InvocationHeader;
import org.rfaas.protocol.ReplyHeader;
import org.rfaas.protocol.Status;

/**
 * One in-flight position on one executor worker, for zero-copy invocations: write the input
 * straight into {@link #input()} (registered memory the transport sends from), call
 * {@link #invoke}, read the output straight from {@link #output()} (the registered result slot the
 * executor wrote into). Obtain one with {@link RemoteExecutor#acquireSlot()}, give it back with
 * {@link #close()}; use it from one thread at a time.
 *
 * <pre>{@code
 * try (InvocationSlot slot = executor.acquireSlot()) {
 *     slot.input().set(ValueLayout.JAVA_LONG, 0, 42L);
 *     int n = slot.invoke(fn, 8);          // fn = executor.functionIndex("square")
 *     long r = slot.output().get(ValueLayout.JAVA_LONG, 0);
 * }
 * }</pre>
 *
 * <p>{@link #invoke} allocates nothing and takes no lock (a CAS-guarded send and receive turn
 * per worker connection) once the output length repeats.
 */
public final class InvocationSlot implements AutoCloseable {
    static final int FREE = 0;
    static final int ACQUIRED = 1;
    static final int PENDING = 2;
    static final int DONE = 3;
    /** Its caller gave up (deadline); the late reply is discarded and the slot freed when it arrives. */
    static final int ABANDONED = 4;

    final SlotChannel channel;
    final int index;
    final AtomicInteger state = new AtomicInteger(FREE);
    private final long sendOffset;
    private final MemorySegment input;
    private final InvocationHeader header = new InvocationHeader();
    private final MemorySegment resultSlot;
    /** Private memory for a message short enough to travel inside the completion, or null. */
    private final MemorySegment staging;
    private final InvocationHeader stagingHeader = new InvocationHeader();
    private int generation;
    int invocationId;
    /** Written by the dispatcher before {@link #state} becomes DONE (a release store). */
    int replyStatus;
    int replyLength;
    /** The receive slot holds a reply the transport has not been given back yet. */
    boolean receivePending;
    /** Set for asynchronous calls: completed by whoever dispatches the reply. */
    CompletableFuture<byte[]> future;
    /** The function of the call last sent, for naming it in a failure. */
    private int sentFunction;
    private MemorySegment outputView;

    /**
     * @param staging where {@link #sendCopy} builds a message of at most its size instead of
     *     {@code sendBuffer} (which is then the peer's memory), or null
     */
    InvocationSlot(SlotChannel channel, int index, MemorySegment sendBuffer, long sendOffset, int inputCapacity,
            MemorySegment staging) {
        this.channel = channel;
        this.index = index;
        this.sendOffset = sendOffset;
        this.staging = staging;
        this.header.wrap(sendBuffer, sendOffset);
        if (staging != null) {
            this.stagingHeader.wrap(staging, 0);
        }
        this.input = sendBuffer.asSlice(sendOffset + InvocationHeader.LENGTH, inputCapacity);
        this.resultSlot = channel.connection().receiveSlot(index);
        // Never null: a first-call branch would be one a warmed-up JIT had never seen taken.
        this.outputView = resultSlot.asSlice(ReplyHeader.LENGTH, 0);
    }

    /** The worker (0 .. cores-1) this slot sends to. */
    public int worker() {
        return channel.workerIndex();
    }

    /** Where to write the input: registered memory of the input capacity's size. */
    public MemorySegment input() {
        return input;
    }

    /**
     * Invokes {@code functionIndex} on the first {@code inputLength} bytes of {@link #input()},
     * spinning for the reply, with the executor's full output capacity.
     *
     * @return the output length; the output is {@link #output()}
     * @throws RfaasException the typed failure (function failed, executor lost, ...)
     */
    public int invoke(int functionIndex, int inputLength) {
        return invoke(functionIndex, inputLength, channel.outputCapacity(), WaitMode.HOT);
    }

    /**
     * Invokes a function and waits for its reply.
     *
     * @param functionIndex from {@link RemoteExecutor#functionIndex(String)}
     * @param inputLength bytes of {@link #input()} to send
     * @param outputCapacity the most output this call accepts, up to the executor's output capacity
     * @param mode spin ({@link WaitMode#HOT}) or sleep ({@link WaitMode#WARM}) for the reply
     * @return the output length; the output is {@link #output()}
     */
    public int invoke(int functionIndex, int inputLength, int outputCapacity, WaitMode mode) {
        send(functionIndex, inputLength, outputCapacity, null);
        channel.awaitReply(this, mode);
        return finishBlocking();
    }

    /**
     * {@link #invoke(int, int, int, WaitMode)} with a deadline: when {@code timeout} passes before
     * the reply, throws {@link InvocationTimeoutException} and the slot is no longer this caller's
     * (it is freed when the late reply arrives; {@link #close()} it as usual). Allocates nothing.
     *
     * @throws InvocationTimeoutException when the deadline passed
     */
    public int invoke(int functionIndex, int inputLength, int outputCapacity, WaitMode mode, java.time.Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        send(functionIndex, inputLength, outputCapacity, null);
        if (!channel.awaitReply(this, mode, deadline)) {
            throw new InvocationTimeoutException("no reply from worker " + worker() + " within " + timeout.toMillis()
                    + " ms");
        }
        return finishBlocking();
    }

    /**
     * Sends a call and returns at once, so that the caller's own thread overlaps it with other
     * work (no background thread, no future): finish it with {@link #poll()} until it returns
     * {@code true} and then {@link #complete()}, or with {@link #await(WaitMode)}. Several slots
     * of one worker may be in flight together (the worker runs them in order). Allocates nothing.
     *
     * @param functionIndex from {@link RemoteExecutor#functionIndex(String)}
     * @param inputLength bytes of {@link #input()} to send
     * @param outputCapacity the most output this call accepts, up to the executor's output capacity
     */
    public void submit(int functionIndex, int inputLength, int outputCapacity) {
        send(functionIndex, inputLength, outputCapacity, null);
    }

    /**
     * One non-blocking progress step for the call {@link #submit submitted} on this slot: takes
     * in at most one arrived reply (of any slot of this worker). Allocates nothing.
     *
     * @return whether this slot's reply is here; then call {@link #complete()}
     * @throws RfaasException when the worker failed (executor lost, lease expired, ...)
     */
    public boolean poll() {
        if (state.get() == ACQUIRED) {
            throw new IllegalStateException("no call in flight on this slot");
        }
        return channel.pollReply(this);
    }

    /**
     * Finishes the call after {@link #poll()} returned {@code true}.
     *
     * @return the output length; the output is {@link #output()}
     * @throws RfaasException the typed failure of the call (function failed, ...)
     */
    public int complete() {
        if (state.get() != DONE) {
            throw new IllegalStateException("the reply is not here yet: poll() until it returns true");
        }
        return finishBlocking();
    }

    /**
     * Waits for the reply of the call {@link #submit submitted} on this slot and finishes it.
     *
     * @return the output length; the output is {@link #output()}
     */
    public int await(WaitMode mode) {
        if (state.get() == ACQUIRED) {
            throw new IllegalStateException("no call in flight on this slot");
        }
        channel.awaitReply(this, mode);
        return finishBlocking();
    }

    /** The output of the last {@link #invoke}: a view of the result slot, valid until the next call or close. */
    public MemorySegment output() {
        MemorySegment view = outputView;
        if (view.byteSize() != replyLength) {
            view = resultSlot.asSlice(ReplyHeader.LENGTH, replyLength);
            outputView = view;
        }
        return view;
    }

    /** Gives the slot back to the executor handle. */
    @Override
    public void close() {
        int st = state.get();
        if (st == FREE || st == ABANDONED) {
            return;
        }
        if (receivePending) {
            channel.releaseReceive(index);
            receivePending = false;
        }
        future = null;
        state.setRelease(FREE);
    }

    void send(int functionIndex, int inputLength, int outputCapacity, CompletableFuture<byte[]> asyncFuture) {
        begin(functionIndex, inputLength, outputCapacity, asyncFuture);
        header.write(invocationId, functionIndex, index, outputCapacity, inputLength);
        state.setRelease(PENDING);
        channel.send(index, sendOffset, InvocationHeader.LENGTH + inputLength, invocationId);
    }

    /**
     * Copies {@code length} bytes of {@code source} from {@code offset} as the input and sends the
     * call: a message that fits the staging buffer is built there (the peer's slot, where
     * {@link #input()} lives on shm, stays untouched), any other one in {@link #input()}.
     */
    void sendCopy(int functionIndex, MemorySegment source, long offset, int length, int outputCapacity,
            CompletableFuture<byte[]> asyncFuture) {
        MemorySegment stage = staging;
        if (stage == null || length > stage.byteSize() - InvocationHeader.LENGTH) {
            if (length >= 0 && length <= input.byteSize()) {
                MemorySegment.copy(source, offset, input, 0, length);
            }
            send(functionIndex, length, outputCapacity, asyncFuture);
            return;
        }
        begin(functionIndex, length, outputCapacity, asyncFuture);
        stagingHeader.write(invocationId, functionIndex, index, outputCapacity, length);
        MemorySegment.copy(source, offset, stage, InvocationHeader.LENGTH, length);
        state.setRelease(PENDING);
        channel.send(index, stage, 0, InvocationHeader.LENGTH + length, invocationId);
    }

    /** {@link #invoke(int, int, int, WaitMode)} of an input copied from {@code source} (see {@link #sendCopy}). */
    int invokeCopy(int functionIndex, MemorySegment source, long offset, int length, int outputCapacity, WaitMode mode) {
        sendCopy(functionIndex, source, offset, length, outputCapacity, null);
        channel.awaitReply(this, mode);
        return finishBlocking();
    }

    /** The checks of a send and the new invocation id; the slot is still ACQUIRED. */
    private void begin(int functionIndex, int inputLength, int outputCapacity, CompletableFuture<byte[]> asyncFuture) {
        if (state.get() != ACQUIRED) {
            throw new IllegalStateException("slot is not acquired (or a call is still in flight)");
        }
        if (inputLength < 0 || inputLength > input.byteSize()) {
            throw new InputTooLargeException("input of " + inputLength + " bytes exceeds the input capacity of "
                    + input.byteSize() + " bytes given at allocation");
        }
        if (outputCapacity < 0 || outputCapacity > channel.outputCapacity()) {
            throw new IllegalArgumentException("output capacity " + outputCapacity + " is outside 0.."
                    + channel.outputCapacity());
        }
        channel.functions().check(functionIndex);
        channel.throwIfFailed();
        if (receivePending) {
            channel.releaseReceive(index);
            receivePending = false;
        }
        generation = (generation + 1) & 0xffffff;
        invocationId = InvocationHeader.invocationId(generation, index);
        sentFunction = functionIndex;
        future = asyncFuture;
    }

    /** After the reply arrived on the caller's thread: status to exception, slot back to ACQUIRED. */
    private int finishBlocking() {
        int status = replyStatus;
        state.setRelease(ACQUIRED);
        receivePending = true;
        if (status == Status.OK.code()) {
            return replyLength;
        }
        throw failure(status);
    }

    RfaasException failure(int status) {
        String message = text();
        return Statuses.toException(Status.ofCode(status), functionName(), message);
    }

    private String functionName() {
        return channel.functions().nameOrNull(sentFunction);
    }

    private String text() {
        byte[] bytes = new byte[replyLength];
        MemorySegment.copy(resultSlot, ValueLayout.JAVA_BYTE, ReplyHeader.LENGTH, bytes, 0, replyLength);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Copies the reply payload out (asynchronous calls). */
    byte[] copyOutput() {
        byte[] bytes = new byte[replyLength];
        MemorySegment.copy(resultSlot, ValueLayout.JAVA_BYTE, ReplyHeader.LENGTH, bytes, 0, replyLength);
        return bytes;
    }
}
