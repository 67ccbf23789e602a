package org.rfaas.client;

import java.lang.foreign.MemorySegment;
import org.rfaas.transport.IdleStrategy;

/**
 * Many invocations in flight per worker, completed by the caller's own thread: no thread per call,
 * no background poller. Obtain one with {@link RemoteExecutor#pipeline(int)}; it holds up to
 * {@code depth} in-flight slots of every worker for its lifetime and gives them back on
 * {@link #close()}. Use it from one thread at a time.
 *
 * <p>The caller runs a duty cycle in the style of Aeron's agents: {@link #offer} calls while there
 * is room, {@link #poll} to take in every reply that has arrived (one receive turn per worker per
 * poll, however many replies), and an {@link IdleStrategy} when a poll found nothing:
 *
 * <pre>{@code
 * try (Pipeline p = executor.pipeline(64)) {
 *     long next = 0;
 *     while (next < n || p.inFlight() > 0) {
 *         while (next < n && p.offer(fn, inputs[next], next)) {
 *             next++;
 *         }
 *         idle.idle(p.poll(handler));
 *     }
 * }
 * }</pre>
 *
 * <p>Each worker runs its calls in the order they were offered, and {@link #poll} hands each
 * worker's replies to the {@link Handler} in that same order, whatever order the transport
 * delivered them in. A worker that fails (executor lost, lease expired or revoked) fails every
 * call still in flight on it, in order, through {@link Handler#onFailure}; none is left hanging.
 * {@link #offer} and {@link #poll} allocate nothing and take no locks in the steady state (a
 * failed call builds its exception).
 */
public final class Pipeline implements AutoCloseable {

    /** Receives the outcome of each call, on the thread that calls {@link #poll}. */
    public interface Handler {
        /**
         * The call {@code callId} succeeded.
         *
         * @param output the function's output: a view of registered memory, valid only during this callback
         */
        void onReply(long callId, int worker, MemorySegment output);

        /** The call {@code callId} failed with a typed error (the function failed, the executor was lost, ...). */
        void onFailure(long callId, int worker, RfaasException error);
    }

    private final WorkerRing[] rings;
    private final int depth;
    private final int outputCapacity;
    private int nextWorker;
    private int inFlight;
    private boolean closed;

    Pipeline(WorkerChannel[] channels, int depth, int outputCapacity) {
        this.depth = depth;
        this.outputCapacity = outputCapacity;
        this.rings = new WorkerRing[channels.length];
        try {
            for (int i = 0; i < channels.length; i++) {
                rings[i] = new WorkerRing(channels[i], depth);
            }
        } catch (RuntimeException e) {
            for (WorkerRing r : rings) {
                if (r != null) {
                    r.close();
                }
            }
            throw e;
        }
    }

    /** In-flight calls per worker at most. */
    public int depth() {
        return depth;
    }

    /** Workers the pipeline spreads calls over. */
    public int workers() {
        return rings.length;
    }

    /** Calls offered and not yet handed to the handler. */
    public int inFlight() {
        return inFlight;
    }

    /**
     * Sends a call to the next worker with room (round robin).
     *
     * @param functionIndex from {@link RemoteExecutor#functionIndex(String)}
     * @param input copied into the registered send buffer (at most the input capacity)
     * @param callId the caller's name for this call, handed back to the {@link Handler}
     * @return {@code false} when every live worker already has {@link #depth()} calls in flight
     * @throws RfaasException when every worker has failed
     */
    public boolean offer(int functionIndex, MemorySegment input, long callId) {
        int n = rings.length;
        boolean anyAlive = false;
        for (int i = 0; i < n; i++) {
            int w = nextWorker;
            nextWorker = w + 1 == n ? 0 : w + 1;
            WorkerRing r = rings[w];
            if (r.channel.failure() != null) {
                continue;
            }
            anyAlive = true;
            if (r.count < depth) {
                send(r, functionIndex, input, callId);
                return true;
            }
        }
        if (!anyAlive) {
            rings[0].channel.throwIfFailed();
        }
        return false;
    }

    /**
     * Sends a call to worker {@code worker}.
     *
     * @return {@code false} when that worker already has {@link #depth()} calls in flight
     * @throws RfaasException when that worker has failed
     */
    public boolean offer(int worker, int functionIndex, MemorySegment input, long callId) {
        WorkerRing r = rings[worker];
        r.channel.throwIfFailed();
        if (r.count == depth) {
            return false;
        }
        send(r, functionIndex, input, callId);
        return true;
    }

    /**
     * One non-blocking step: takes in the replies that have arrived on every worker and hands them
     * to {@code handler}, each worker's in offer order.
     *
     * @return calls completed (succeeded or failed) by this step; 0 tells an idle strategy to back off
     */
    public int poll(Handler handler) {
        if (inFlight == 0) {
            return 0;
        }
        int done = 0;
        for (WorkerRing r : rings) {
            if (r.count > 0) {
                done += r.poll(handler);
            }
        }
        inFlight -= done;
        return done;
    }

    /** Polls until no call is in flight, idling with {@code idle} between empty polls. */
    public void drain(Handler handler, IdleStrategy idle) {
        idle.reset();
        while (inFlight > 0) {
            idle.idle(poll(handler));
        }
    }

    /**
     * Gives the slots back. Calls still in flight are abandoned: their replies are discarded when
     * they arrive, and their slots then return to the executor. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (WorkerRing r : rings) {
            r.close();
        }
        inFlight = 0;
    }

    private void send(WorkerRing r, int functionIndex, MemorySegment input, long callId) {
        if (closed) {
            throw new IllegalStateException("pipeline is closed");
        }
        InvocationSlot s = r.slots[r.tail];
        long length = input.byteSize();
        if (length > s.input().byteSize()) {
            throw new InputTooLargeException("input of " + length + " bytes exceeds the input capacity of "
                    + s.input().byteSize() + " bytes given at allocation");
        }
        try {
            s.sendCopy(functionIndex, input, 0, (int) length, outputCapacity, null);
        } catch (RuntimeException e) {
            // not sent (the worker failed, a bad argument): the slot stays this pipeline's, free
            if (s.state.get() == InvocationSlot.PENDING) {
                s.state.setRelease(InvocationSlot.ACQUIRED);
            }
            throw e;
        }
        r.callIds[r.tail] = callId;
        r.tail = r.tail + 1 == depth ? 0 : r.tail + 1;
        r.count++;
        inFlight++;
    }

    /** One worker's slots as a ring: offered at {@code tail}, handed to the handler from {@code head}. */
    private static final class WorkerRing {
        /** How long a new pipeline waits for slots that other callers hold. */
        static final long ACQUIRE_TIMEOUT_NANOS = 10_000_000_000L;
        final WorkerChannel channel;
        final InvocationSlot[] slots;
        final long[] callIds;
        int head;
        int tail;
        int count;

        WorkerRing(WorkerChannel channel, int depth) {
            this.channel = channel;
            this.slots = new InvocationSlot[depth];
            this.callIds = new long[depth];
            long deadline = System.nanoTime() + ACQUIRE_TIMEOUT_NANOS;
            try {
                for (int i = 0; i < depth; i++) {
                    InvocationSlot s;
                    while ((s = channel.tryAcquire()) == null) {
                        channel.throwIfFailed();
                        if (System.nanoTime() - deadline > 0) {
                            throw new InvocationTimeoutException("only " + i + " of the " + depth + " slots of worker "
                                    + channel.workerIndex() + " came free within 10 s (another pipeline holds them?)");
                        }
                        if (!channel.progress(0)) {
                            Thread.onSpinWait();
                        }
                    }
                    slots[i] = s;
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        int poll(Handler handler) {
            if (channel.failure() == null) {
                channel.progressBatch(count);
            }
            RfaasException failure = channel.failure();
            int done = 0;
            while (count > 0) {
                InvocationSlot s = slots[head];
                long id = callIds[head];
                int st = s.state.get();
                if (st == InvocationSlot.DONE) {
                    int status = s.replyStatus;
                    s.state.setRelease(InvocationSlot.ACQUIRED);
                    s.receivePending = true;
                    try {
                        if (status == org.rfaas.protocol.Status.OK.code()) {
                            handler.onReply(id, channel.workerIndex(), s.output());
                        } else {
                            handler.onFailure(id, channel.workerIndex(), s.failure(status));
                        }
                    } finally {
                        advance();
                    }
                } else if (failure != null) {
                    if (st == InvocationSlot.PENDING) {
                        s.state.setRelease(InvocationSlot.ACQUIRED);
                    }
                    try {
                        handler.onFailure(id, channel.workerIndex(), failure);
                    } finally {
                        advance();
                    }
                } else {
                    break;
                }
                done++;
            }
            return done;
        }

        private void advance() {
            head = head + 1 == slots.length ? 0 : head + 1;
            count--;
        }

        void close() {
            for (InvocationSlot s : slots) {
                if (s == null) {
                    continue;
                }
                if (s.state.get() == InvocationSlot.PENDING && channel.failure() == null
                        && channel.abandon(s, null)) {
                    continue; // freed by the dispatcher when its late reply arrives
                }
                int st = s.state.get();
                if (st == InvocationSlot.PENDING || st == InvocationSlot.DONE) {
                    // a DONE slot's reply was never handed out: its receive slot goes back too
                    s.receivePending |= st == InvocationSlot.DONE;
                    s.state.setRelease(InvocationSlot.ACQUIRED);
                }
                s.close();
            }
        }
    }
}
