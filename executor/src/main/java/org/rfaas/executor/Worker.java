package org.rfaas.executor;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import org.rfaas.protocol.ExecutorShape;
import org.rfaas.protocol.AccountingCounters;
import org.rfaas.protocol.InvocationHeader;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.protocol.Limits;
import org.rfaas.protocol.MessageType;
import org.rfaas.protocol.ReplyHeader;
import org.rfaas.protocol.Status;
import org.rfaas.protocol.Texts;
import org.rfaas.protocol.WorkerHello;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.IdleStrategy;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One executor worker thread: owns one connection to the client, serves invocations in place.
 *
 * <p>Duty cycle: busy-poll (hot) until {@code hotTimeoutNanos} passed since the last invocation,
 * then sleep in {@link Connection#await} (warm); after serving, hot again. {@code -1} never goes
 * warm, {@code 0} never spins. Hot-polling time (hot, outside functions) and compute time (inside
 * the function) are accumulated in {@link WorkerCounters}.
 *
 * <p>The serving path allocates nothing in the steady state: input and output views are cached
 * per slot and length. The function reads its input where the client's message landed and writes
 * its output where the reply is sent from: the client's result slot itself when the transport
 * shares memory with the client (shm), else one registered send buffer.
 */
final class Worker implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);
    /** Longest warm sleep before re-checking the stop flag. */
    private static final long WARM_WAIT_NANOS = 20_000_000L;
    /** Hot-polling time is published at least this often, so a long spin is visible to the flusher. */
    private static final long HOT_PUBLISH_NANOS = 10_000_000L;
    private static final byte[] NO_MESSAGE = new byte[0];
    /** Empty hot polls between clock reads (a power of two). */
    private static final int CLOCK_CHECK_POLLS = 256;
    /** Where an in-place reply starts in its receive slot: its header ends where the input began. */
    private static final int IN_PLACE_REPLY_OFFSET = InvocationHeader.LENGTH - ReplyHeader.LENGTH;

    private final int index;
    private final int workerCount;
    private final Connection connection;
    private final FunctionTable functions;
    private final long hotTimeoutNanos;
    private final int inputCapacity;
    private final int outputCapacity;
    private final long leaseId;
    private final long nonce;
    private final WorkerCounters counters = new WorkerCounters();
    private final Completion completion = new Completion();
    private final InvocationHeader invocation = new InvocationHeader();
    private final ReplyHeader reply = new ReplyHeader();
    private final MemorySegment sendBuffer;
    private final int clientResultSlots;
    private final int noticeSlot;
    private final int maxReplyPayload;
    /**
     * Per receive slot, the read-only input view last handed to a function. These view caches are filled when the worker is made, so the
     * serving path has no "nothing cached yet" branch: a branch taken only by a worker's first
     * calls is one its spare's rehearsal took only before its code was profiled, so C2 compiled it
     * as never taken, and a lease's first call on each slot deoptimised the whole of
     * {@link #handle} (then recompiled it, beside the lease's spinning threads).
     */
    private final MemorySegment[] inputViews;
    /** Per receive slot, the writable view last handed to a function that runs in place. */
    private final MemorySegment[] inPlaceViews;
    /** Most output a function running in place can leave in a receive slot. */
    private final int inPlaceRoom;
    /**
     * Per client result slot, where a reply is built: the client's slot itself when the transport
     * shares memory with the client (shm: the function writes its output straight into the
     * caller's result slot and the reply moves no payload bytes), else the registered send buffer.
     */
    private final MemorySegment[] replyMemory;
    /** Per client result slot, the output view last handed to a function (cached per capacity). */
    private final MemorySegment[] outputViews;
    /** Clock readings around the last function call (both the same when none was called). */
    private long functionStart;
    private long functionEnd;
    /** Hot-polling time counted up to here; the end of the last call (or going hot). */
    private long spinStart;
    private long lastWork;
    private volatile LeaseEndReason stopReason;

    Worker(int index, ExecutorShape shape, Connection connection, FunctionTable functions, long leaseId, long nonce) {
        this.index = index;
        this.workerCount = shape.cores();
        this.connection = connection;
        this.functions = functions;
        this.hotTimeoutNanos = shape.hotTimeoutNanos();
        this.inputCapacity = shape.inputCapacity();
        this.outputCapacity = shape.outputCapacity();
        this.leaseId = leaseId;
        this.nonce = nonce;
        int clientSlots = connection.peerSpec().slots();
        this.noticeSlot = clientSlots - 1;
        this.clientResultSlots = clientSlots - 1;
        this.maxReplyPayload = connection.peerSpec().slotSize() - ReplyHeader.LENGTH;
        if (clientResultSlots < 1 || maxReplyPayload < outputCapacity) {
            throw new ProtocolException(org.rfaas.transport.ProtocolError.BAD_HANDSHAKE, "client registered "
                    + clientSlots + " slots of " + connection.peerSpec().slotSize() + " bytes; needs at least 2 of "
                    + (ReplyHeader.LENGTH + outputCapacity));
        }
        this.sendBuffer = connection.allocateBuffer(ReplyHeader.LENGTH + (long) Math.max(outputCapacity,
                Math.min(maxReplyPayload, Limits.MAX_MESSAGE_BYTES)));
        int slots = connection.localSpec().slots();
        this.inputViews = new MemorySegment[slots];
        this.inPlaceViews = new MemorySegment[slots];
        this.inPlaceRoom = connection.localSpec().slotSize() - InvocationHeader.LENGTH;
        this.replyMemory = new MemorySegment[clientResultSlots];
        for (int s = 0; s < clientResultSlots; s++) {
            replyMemory[s] = connection.sharedPeerSlot(s).orElse(sendBuffer);
        }
        this.outputViews = new MemorySegment[clientResultSlots];
        for (int s = 0; s < slots; s++) {
            MemorySegment receive = connection.receiveSlot(s);
            inputViews[s] = receive.asSlice(InvocationHeader.LENGTH, 0).asReadOnly();
            inPlaceViews[s] = receive.asSlice(InvocationHeader.LENGTH, 0);
        }
        for (int s = 0; s < clientResultSlots; s++) {
            outputViews[s] = replyMemory[s].asSlice(ReplyHeader.LENGTH, outputCapacity);
        }
    }

    WorkerCounters counters() {
        return counters;
    }

    /** Asks the worker to stop; it notifies the client with {@code reason}'s status first. */
    void stop(LeaseEndReason reason) {
        stopReason = reason;
    }

    @Override
    public void run() {
        try {
            sayHello();
            serve();
            notifyClient(stopReason);
        } catch (PeerFailedException e) {
            LOG.info("worker {}: client connection lost: {}", index, e.getMessage());
        } catch (ProtocolException e) {
            LOG.warn("worker {}: closing the client connection after a protocol error: {}", index, e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("worker {} failed", index, e);
        } finally {
            connection.close();
        }
    }

    boolean finishedConnection() {
        return !connection.isOpen();
    }

    private void sayHello() {
        WorkerHello hello = new WorkerHello(leaseId, nonce, index, workerCount, connection.localSpec().slots(),
                functions.names());
        int length = hello.encode(sendBuffer, 0);
        connection.write(noticeSlot, sendBuffer, 0, length, 0);
    }

    /**
     * The duty cycle. The clock costs 20-250 ns a read on virtual machines, so the spin loop reads
     * it only every {@link #CLOCK_CHECK_POLLS} empty polls (a few µs apart: the hot timeout and
     * the publication of hot-polling time are that coarse), and an invocation takes at most two
     * reads: when it is found ({@link #functionStart}) and after its reply is sent
     * ({@link #functionEnd}), so neither delays the reply; back-to-back invocations share one.
     * Hot-polling time is the hot time outside invocations: from the end of one (or going hot) to
     * the start of the next (or going warm).
     */
    private void serve() {
        boolean hot = hotTimeoutNanos != 0;
        spinStart = lastWork = functionEnd = System.nanoTime();
        while (stopReason == null) {
            if (hot) {
                long start;
                if (connection.poll(completion)) {
                    // Found by the first poll after the last invocation (back to back, as when
                    // pipelined): that one's end is this one's start, one clock read instead of two.
                    start = functionEnd;
                } else if (spinUntilCall()) {
                    start = System.nanoTime();
                } else {
                    hot = false; // the hot timeout passed (or a stop was asked)
                    continue;
                }
                handle(completion, start);
                counters.add(AccountingCounters.HOT_POLL_NANOS, functionStart - spinStart);
                lastWork = spinStart = functionEnd;
            } else if (connection.await(completion, WARM_WAIT_NANOS)) {
                handle(completion, System.nanoTime());
                if (hotTimeoutNanos != 0) {
                    hot = true;
                    lastWork = spinStart = functionEnd;
                }
            }
        }
        if (hot) {
            counters.add(AccountingCounters.HOT_POLL_NANOS, System.nanoTime() - spinStart);
        }
    }

    /**
     * The hot worker's empty spin: polls until a call is in {@link #completion} ({@code true}), or
     * until the hot timeout passed since the last call or a stop was asked ({@code false}, with
     * the hot-polling time counted). Kept apart from {@link #handle}: the JIT compiles this loop
     * while the worker waits for its first call, when a poll has never succeeded, and the first
     * call then deoptimizes only this small method, not the whole duty cycle with the call path.
     */
    private boolean spinUntilCall() {
        int emptyPolls = 0;
        while (stopReason == null) {
            if (connection.poll(completion)) {
                return true;
            }
            if ((++emptyPolls & (CLOCK_CHECK_POLLS - 1)) == 0) {
                long now = System.nanoTime();
                if (hotTimeoutNanos > 0 && now - lastWork >= hotTimeoutNanos) {
                    counters.add(AccountingCounters.HOT_POLL_NANOS, now - spinStart);
                    spinStart = now;
                    return false;
                } else if (now - spinStart >= HOT_PUBLISH_NANOS) {
                    counters.add(AccountingCounters.HOT_POLL_NANOS, now - spinStart);
                    spinStart = now;
                }
            }
            IdleStrategy.BUSY_SPIN.idle();
        }
        return false;
    }

    /**
     * Serves one invocation that arrived at {@code start} ({@link System#nanoTime()}); sets
     * {@link #functionStart} and {@link #functionEnd}.
     */
    private void handle(Completion c, long start) {
        int slot = c.slot();
        MemorySegment receive = connection.receiveSlot(slot);
        // The header from the head copy (shm: it came with the completion's cache line), the
        // input from the slot: validating does not wait for the slot's first line.
        invocation.wrap(connection.receiveHead(slot), 0);
        try {
            invocation.validate(c.length(), c.immediate(), clientResultSlots, outputCapacity);
        } catch (ProtocolException e) {
            functionStart = functionEnd = System.nanoTime();
            connection.release(slot);
            int resultSlot = InvocationHeader.slotOf(c.immediate());
            if (resultSlot < clientResultSlots) {
                replyMessage(resultSlot, c.immediate(), Status.PROTOCOL_ERROR, e.getMessage());
            }
            throw e;
        }
        int id = invocation.invocationId();
        int resultSlot = invocation.resultSlot();
        int inputLength = invocation.inputLength();
        int capacity = invocation.outputCapacity();
        FunctionInvoker function = functions.get(invocation.functionIndex());
        if (function == null) {
            functionStart = functionEnd = System.nanoTime();
            int fn = invocation.functionIndex();
            connection.release(slot);
            replyMessage(resultSlot, id, Status.UNKNOWN_FUNCTION, "no function with index " + fn + " (this executor has "
                    + functions.size() + ")");
            return;
        }
        if (inputLength > inputCapacity) {
            functionStart = functionEnd = System.nanoTime();
            connection.release(slot);
            replyMessage(resultSlot, id, Status.INPUT_TOO_LARGE, "input of " + inputLength + " bytes exceeds the "
                    + inputCapacity + "-byte input capacity");
            return;
        }
        if (function.runsInPlace() && replyMemory[resultSlot] == sendBuffer && capacity <= inPlaceRoom) {
            handleInPlace(function, receive, slot, id, resultSlot, inputLength, capacity, start);
            return;
        }
        MemorySegment input = inputView(receive, slot, inputLength);
        MemorySegment output = outputView(resultSlot, capacity);
        long produced;
        Throwable failure = null;
        try {
            produced = function.invoke(input, output);
        } catch (Throwable t) {
            produced = -1;
            failure = t;
        }
        connection.release(slot);
        if (failure == null && produced >= 0 && produced <= capacity) {
            MemorySegment memory = replyMemory[resultSlot];
            reply.wrap(memory, 0).write(MessageType.REPLY, id, Status.OK, (int) produced);
            connection.write(resultSlot, memory, 0, ReplyHeader.LENGTH + (int) produced, id);
            // The clock read and the counters come after the reply, off the caller's round trip;
            // compute time so runs from the function's start to its reply handed to the transport.
            account(start, false);
            return;
        }
        failed(function, id, resultSlot, capacity, output, produced, failure, start);
    }

    /**
     * An invocation of a function that runs in place, over a transport that sends from memory of
     * its own: the function overwrites its input in the receive slot, and the reply goes out of
     * that slot (its header over the invocation header's last bytes, already read): no copy of the
     * output into the send buffer. The slot is released only after the write returned.
     */
    private void handleInPlace(FunctionInvoker function, MemorySegment receive, int slot, int id, int resultSlot,
            int inputLength, int capacity, long start) {
        MemorySegment data = inPlaceView(receive, slot, capacity);
        long produced;
        Throwable failure = null;
        try {
            produced = function.invokeInPlace(data, inputLength);
        } catch (Throwable t) {
            produced = -1;
            failure = t;
        }
        if (failure == null && produced >= 0 && produced <= capacity) {
            reply.wrap(receive, IN_PLACE_REPLY_OFFSET).write(MessageType.REPLY, id, Status.OK, (int) produced);
            connection.write(resultSlot, receive, IN_PLACE_REPLY_OFFSET, ReplyHeader.LENGTH + (int) produced, id);
            connection.release(slot);
            account(start, false);
            return;
        }
        connection.release(slot);
        failed(function, id, resultSlot, capacity, data, produced, failure, start);
    }

    /** Bills and answers an invocation whose function threw or returned a length out of range. */
    private void failed(FunctionInvoker function, int id, int resultSlot, int capacity, MemorySegment output,
            long produced, Throwable failure, long start) {
        account(start, true);
        if (failure instanceof IndexOutOfBoundsException && writesPastOutput(failure, output)) {
            replyMessage(resultSlot, id, Status.OUTPUT_TOO_LARGE, "function '" + function.name()
                    + "' wrote past the " + capacity + "-byte output capacity");
        } else if (failure != null) {
            if (failure instanceof Error && !(failure instanceof StackOverflowError || failure instanceof OutOfMemoryError)) {
                LOG.warn("worker {}: function '{}' threw an Error", index, function.name(), failure);
            }
            replyMessage(resultSlot, id, Status.FUNCTION_FAILED, failure.toString());
        } else if (produced > capacity) {
            replyMessage(resultSlot, id, Status.OUTPUT_TOO_LARGE, "function '" + function.name() + "' returned "
                    + produced + " bytes, more than the " + capacity + "-byte output capacity");
        } else {
            replyMessage(resultSlot, id, Status.FUNCTION_FAILED, "function '" + function.name()
                    + "' returned a negative length " + produced);
        }
    }

    /** Bills one invocation that started at {@code start} and ends now. */
    private void account(long start, boolean failed) {
        long end = System.nanoTime();
        functionStart = start;
        functionEnd = end;
        counters.invocation(end - start, failed);
    }

    /** Bounds errors from the output segment name its address; other ones are plain failures. */
    private static boolean writesPastOutput(Throwable failure, MemorySegment output) {
        String message = failure.getMessage();
        return message != null && message.contains(Long.toHexString(output.address()));
    }

    private MemorySegment inputView(MemorySegment receive, int slot, int length) {
        MemorySegment view = inputViews[slot];
        if (view.byteSize() != length) {
            view = receive.asSlice(InvocationHeader.LENGTH, length).asReadOnly();
            inputViews[slot] = view;
        }
        return view;
    }

    /** A writable view of a receive slot from its input on, {@code capacity} bytes (cached per slot). */
    private MemorySegment inPlaceView(MemorySegment receive, int slot, int capacity) {
        MemorySegment view = inPlaceViews[slot];
        if (view.byteSize() != capacity) {
            view = receive.asSlice(InvocationHeader.LENGTH, capacity);
            inPlaceViews[slot] = view;
        }
        return view;
    }

    private MemorySegment outputView(int resultSlot, int capacity) {
        MemorySegment view = outputViews[resultSlot];
        if (view.byteSize() != capacity) {
            view = replyMemory[resultSlot].asSlice(ReplyHeader.LENGTH, capacity);
            outputViews[resultSlot] = view;
        }
        return view;
    }

    private void replyMessage(int resultSlot, int invocationId, Status status, String message) {
        byte[] text = message == null ? NO_MESSAGE : Texts.truncate(message, Math.min(maxReplyPayload,
                Limits.MAX_MESSAGE_BYTES)).getBytes(StandardCharsets.UTF_8);
        reply.wrap(sendBuffer, 0).write(MessageType.REPLY, invocationId, status, text.length);
        MemorySegment.copy(text, 0, sendBuffer, java.lang.foreign.ValueLayout.JAVA_BYTE, ReplyHeader.LENGTH, text.length);
        connection.write(resultSlot, sendBuffer, 0, ReplyHeader.LENGTH + text.length, invocationId);
    }

    private void notifyClient(LeaseEndReason reason) {
        if (reason == null || !connection.isOpen()) {
            return;
        }
        byte[] text = ("executor of lease " + leaseId + " stopped: " + reason).getBytes(StandardCharsets.UTF_8);
        reply.wrap(sendBuffer, 0).write(MessageType.NOTICE, 0, reason.status(), text.length);
        MemorySegment.copy(text, 0, sendBuffer, java.lang.foreign.ValueLayout.JAVA_BYTE, ReplyHeader.LENGTH, text.length);
        connection.write(noticeSlot, sendBuffer, 0, ReplyHeader.LENGTH + text.length, 0);
    }
}
