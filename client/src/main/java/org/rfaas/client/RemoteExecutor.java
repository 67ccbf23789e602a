package org.rfaas.client;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.rfaas.protocol.LeaseAccounting;
import org.rfaas.protocol.LeaseEnded;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.protocol.MessageHeader;
import org.rfaas.protocol.MessageType;
import org.rfaas.protocol.ReleaseRequest;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.IdleStrategy;
import org.rfaas.transport.SpinYieldIdleStrategy;
import org.rfaas.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An allocated executor: the cores of one lease on one node, with a direct connection from this
 * process to each worker thread. Obtained from {@link RfaasClient#allocate}; thread-safe; close
 * it (try-with-resources) to end the lease.
 *
 * <ul>
 *   <li>{@link #invoke(String, byte[])} and its overloads block; by default they spin on the
 *       reply ({@link WaitMode#HOT}), or sleep with {@link WaitMode#WARM}.
 *   <li>{@link #invokeAsync} returns a future that the thread waiting on it ({@code join},
 *       {@code get}) completes by taking the replies in itself; a background poller does it
 *       instead when the client was built with {@link RfaasClient.Builder#backgroundPoller}.
 *   <li>{@link #scatter} sends one input to each worker and completes when all replied;
 *       {@link #scatterGather} does the same allocation-free into a caller's buffer.
 *   <li>{@link #pipeline} keeps many calls in flight per worker, completed by the caller's duty cycle.
 *   <li>{@link #acquireSlot()} gives zero-copy access to the registered buffers.
 * </ul>
 *
 * <p>Every failure is a typed {@link RfaasException}: {@link FunctionFailedException} (with the
 * remote message), {@link UnknownFunctionException}, {@link ExecutorLostException} (the executor
 * died: pending calls fail within about 2 s), {@link LeaseExpiredException},
 * {@link LeaseRevokedException}, {@link ExecutorShutdownException}.
 */
public final class RemoteExecutor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteExecutor.class);
    private static final long RELEASE_TIMEOUT_NANOS = 15_000_000_000L;

    private final long leaseId;
    private final String node;
    private final long expiresAtEpochMillis;
    private final int inputCapacity;
    private final int outputCapacity;
    private final FunctionTable functions;
    private final WorkerChannel[] channels;
    private final ControlLink link;
    private final Connection control;
    private final MemorySegment controlBuffer;
    /** Takes the control connection back for the next allocation once the lease was released. */
    private final java.util.function.Consumer<ControlLink> keepControl;
    private final Completion controlCompletion = new Completion();
    private final long allocationNanos;
    private final Runnable onClose;
    private final AsyncCalls async = new AsyncCalls();
    private final AtomicInteger nextWorker = new AtomicInteger();
    private final Thread poller;
    /** {@link #driveAsync}, the progress step of this executor's futures (one object for all). */
    private final java.util.function.IntSupplier asyncStep = this::driveAsync;
    /** Whether the poller thread completes asynchronous calls hot (else their waiters do). */
    private final boolean backgroundPoller;
    private volatile boolean closed;
    private volatile LeaseEnded ended;

    RemoteExecutor(long leaseId, String node, long expiresAtEpochMillis, int inputCapacity, int outputCapacity,
            List<String> functions, List<Connection> workerConnections, int slotsPerWorker, ControlLink control,
            long allocationNanos, Runnable onClose, java.util.function.Consumer<ControlLink> keepControl,
            boolean backgroundPoller, PollerThread pollerThread) {
        this.leaseId = leaseId;
        this.node = node;
        this.expiresAtEpochMillis = expiresAtEpochMillis;
        this.inputCapacity = inputCapacity;
        this.outputCapacity = outputCapacity;
        this.functions = new FunctionTable(functions);
        this.link = control;
        // null: a loopback executor with no lease behind it (HotPathWarmup); it ends when closed
        this.control = control == null ? null : control.connection;
        this.controlBuffer = control == null ? null : control.releaseBuffer;
        this.keepControl = keepControl;
        this.allocationNanos = allocationNanos;
        this.onClose = onClose;
        this.channels = new WorkerChannel[workerConnections.size()];
        for (int i = 0; i < channels.length; i++) {
            channels[i] = new WorkerChannel(leaseId, i, workerConnections.get(i), slotsPerWorker, inputCapacity,
                    outputCapacity, this.functions, async);
        }
        this.backgroundPoller = backgroundPoller;
        this.poller = pollerThread.attach(this::pollLoop, "rfaas-client-poller-" + leaseId);
    }

    /** The lease this executor serves. */
    public long leaseId() {
        return leaseId;
    }

    /** The node it runs on. */
    public String node() {
        return node;
    }

    /** When the lease expires (epoch milliseconds). */
    public long expiresAtEpochMillis() {
        return expiresAtEpochMillis;
    }

    /** Worker threads (leased cores). */
    public int cores() {
        return channels.length;
    }

    /** Largest input of one call, as allocated. */
    public int inputCapacity() {
        return inputCapacity;
    }

    /** Largest output of one call, as allocated. */
    public int outputCapacity() {
        return outputCapacity;
    }

    /** Function names, in index order, as the executor announced them. */
    public List<String> functions() {
        return functions.names();
    }

    /** Cold-start time seen by this client: lease request to all workers connected. */
    public Duration allocationTime() {
        return Duration.ofNanos(allocationNanos);
    }

    /**
     * The index of function {@code name}, resolved once; pass it to {@link InvocationSlot#invoke}.
     *
     * @throws UnknownFunctionException when the package has no such function
     */
    public int functionIndex(String name) {
        return functions.index(name);
    }

    /**
     * Takes a free in-flight slot on the next worker (round robin), waiting while all are busy.
     *
     * @throws ExecutorLostException and the like when every worker has failed
     */
    public InvocationSlot acquireSlot() {
        return acquireSlot(false, 0L);
    }

    /** {@link #acquireSlot()}, giving up with {@link InvocationTimeoutException} at {@code deadline} if timed. */
    private InvocationSlot acquireSlot(boolean timed, long deadline) {
        int start = Math.floorMod(nextWorker.getAndIncrement(), channels.length);
        while (true) {
            boolean anyAlive = false;
            for (int i = 0; i < channels.length; i++) {
                WorkerChannel ch = channels[(start + i) % channels.length];
                if (ch.failure() != null) {
                    continue;
                }
                anyAlive = true;
                InvocationSlot s = ch.tryAcquire();
                if (s != null) {
                    return s;
                }
            }
            if (!anyAlive) {
                throwClosedOrFailed();
            }
            if (timed && System.nanoTime() - deadline >= 0) {
                throw new InvocationTimeoutException("every in-flight slot of lease " + leaseId
                        + " stayed busy until the deadline");
            }
            helpProgress();
        }
    }

    /** Takes a free in-flight slot on worker {@code worker}, waiting while its slots are busy. */
    public InvocationSlot acquireSlot(int worker) {
        WorkerChannel ch = channels[worker];
        while (true) {
            if (closed) {
                throwClosedOrFailed();
            }
            ch.throwIfFailed();
            InvocationSlot s = ch.tryAcquire();
            if (s != null) {
                return s;
            }
            if (!ch.progress(0)) {
                IdleStrategy.BUSY_SPIN.idle();
            }
        }
    }

    /** Blocking invocation, spinning for the reply. Copies {@code input} in and the output out. */
    public byte[] invoke(String function, byte[] input) {
        return invoke(function, input, WaitMode.HOT);
    }

    /** Blocking invocation with the given wait mode. */
    public byte[] invoke(String function, byte[] input, WaitMode mode) {
        int fn = functionIndex(function);
        checkInput(input.length);
        try (InvocationSlot s = acquireSlot()) {
            s.invokeCopy(fn, MemorySegment.ofArray(input), 0, input.length, outputCapacity, mode);
            return s.output().toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * Blocking invocation with a deadline: throws {@link InvocationTimeoutException} when
     * {@code timeout} passes first (waiting for a free slot included).
     */
    public byte[] invoke(String function, byte[] input, Duration timeout) {
        return invoke(function, input, WaitMode.HOT, timeout);
    }

    /** Blocking invocation with the given wait mode and a deadline (see {@link #invoke(String, byte[], Duration)}). */
    public byte[] invoke(String function, byte[] input, WaitMode mode, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int fn = functionIndex(function);
        checkInput(input.length);
        try (InvocationSlot s = acquireSlot(true, deadline)) {
            MemorySegment.copy(input, 0, s.input(), ValueLayout.JAVA_BYTE, 0, input.length);
            s.invoke(fn, input.length, outputCapacity, mode, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            return s.output().toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * Asynchronous invocation with a deadline: the future fails with
     * {@link InvocationTimeoutException} when {@code timeout} passes before the reply.
     */
    public CompletableFuture<byte[]> invokeAsync(String function, byte[] input, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int fn;
        InvocationSlot s;
        try {
            fn = functionIndex(function);
            checkInput(input.length);
            s = acquireSlot(true, deadline);
        } catch (RfaasException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<byte[]> future = sendAsync(s, fn, input, new DrivenFuture<>(asyncStep));
        long left = Math.max(0, deadline - System.nanoTime());
        CompletableFuture.delayedExecutor(left, java.util.concurrent.TimeUnit.NANOSECONDS).execute(() -> {
            if (!future.isDone() && s.channel.abandon(s, future)) {
                async.done();
                future.completeExceptionally(new InvocationTimeoutException("no reply from worker " + s.worker()
                        + " of lease " + leaseId + " within " + timeout.toMillis() + " ms"));
            }
        });
        return future;
    }

    /**
     * Blocking invocation between caller-owned segments: copies {@code input} into the registered
     * send buffer and the output into {@code output} (at most {@code output.byteSize()} bytes are
     * accepted from the function). Allocates nothing.
     *
     * @return the output length
     */
    public int invoke(String function, MemorySegment input, MemorySegment output, WaitMode mode) {
        int fn = functionIndex(function);
        checkInput(input.byteSize());
        int capacity = (int) Math.min(output.byteSize(), outputCapacity);
        try (InvocationSlot s = acquireSlot()) {
            int n = s.invokeCopy(fn, input, 0, (int) input.byteSize(), capacity, mode);
            MemorySegment.copy(s.output(), 0, output, 0, n);
            return n;
        }
    }

    /** Asynchronous invocation on any worker; the future fails with a typed {@link RfaasException}. */
    public CompletableFuture<byte[]> invokeAsync(String function, byte[] input) {
        return invokeAsync(function, input, -1);
    }

    /**
     * Asynchronous invocation on worker {@code worker} ({@code -1}: any). Waits only while all
     * slots are in flight.
     */
    public CompletableFuture<byte[]> invokeAsync(String function, byte[] input, int worker) {
        return invokeAsync(function, input, worker, new DrivenFuture<>(asyncStep));
    }

    /**
     * {@link #invokeAsync(String, byte[], int)} completing {@code future}, which the caller made
     * (a part of a scatter, which tells its whole when it completes).
     */
    CompletableFuture<byte[]> invokeAsync(String function, byte[] input, int worker, CompletableFuture<byte[]> future) {
        int fn;
        InvocationSlot s;
        try {
            fn = functionIndex(function);
            checkInput(input.length);
            s = worker < 0 ? acquireSlot() : acquireSlot(worker);
        } catch (RfaasException e) {
            future.completeExceptionally(e);
            return future;
        }
        return sendAsync(s, fn, input, future);
    }

    /** Sends an asynchronous call on an acquired slot; whoever drives progress completes {@code future}. */
    private CompletableFuture<byte[]> sendAsync(InvocationSlot s, int fn, byte[] input, CompletableFuture<byte[]> future) {
        async.started();
        try {
            s.sendCopy(fn, MemorySegment.ofArray(input), 0, input.length, outputCapacity, future);
        } catch (RfaasException e) {
            if (s.state.compareAndSet(InvocationSlot.PENDING, InvocationSlot.ACQUIRED)
                    || s.state.get() == InvocationSlot.ACQUIRED) {
                s.close();
                async.done();
            }
            future.completeExceptionally(e);
            return future;
        }
        if (backgroundPoller) {
            LockSupport.unpark(poller);
        }
        return future;
    }

    /**
     * Scatter: input {@code i} goes to worker {@code i} (at most {@link #cores()} inputs); the
     * future completes with the outputs in the same order when all have replied, or fails with the
     * first failure. Every part is sent before this returns; waiting on the future takes the
     * replies in on the waiting thread.
     */
    public CompletableFuture<List<byte[]>> scatter(String function, List<byte[]> inputs) {
        if (inputs.size() > channels.length) {
            throw new IllegalArgumentException(inputs.size() + " inputs for " + channels.length + " cores");
        }
        DrivenFuture.Gathered all = new DrivenFuture.Gathered(inputs.size(), asyncStep);
        for (int i = 0; i < inputs.size(); i++) {
            invokeAsync(function, inputs.get(i), i, all.part(i));
        }
        return all;
    }

    /**
     * A pipeline of up to {@code depth} calls in flight on each worker, completed by the caller's
     * own duty cycle (see {@link Pipeline}). It holds {@code depth} slots of every worker until
     * closed, so allocate with {@link AllocationSpec#withSlotsPerWorker} at least {@code depth}
     * (plus what blocking calls need meanwhile).
     *
     * @throws IllegalArgumentException when {@code depth} exceeds the slots per worker
     * @throws InvocationTimeoutException when other callers hold a worker's slots for 10 s
     */
    public Pipeline pipeline(int depth) {
        int slots = channels[0].slots().length;
        if (depth < 1 || depth > slots) {
            throw new IllegalArgumentException("pipeline depth " + depth + " is outside 1.." + slots
                    + " (the slots per worker of this allocation)");
        }
        if (closed) {
            throwClosedOrFailed();
        }
        return new Pipeline(channels, depth, outputCapacity);
    }

    /**
     * An allocation-free scatter / gather of {@code function} over this executor's cores (see
     * {@link ScatterGather}); reuse it for every scatter of that function.
     *
     * @throws UnknownFunctionException when the package has no such function
     */
    public ScatterGather scatterGather(String function) {
        int fn = functionIndex(function);
        int[] indices = new int[channels.length];
        java.util.Arrays.fill(indices, fn);
        return new ScatterGather(channels, indices, outputCapacity);
    }

    /** The worker channels, for an {@link ExecutorGroup}'s scatter. */
    WorkerChannel[] channels() {
        return channels;
    }

    /**
     * One non-blocking progress step for asynchronous calls: takes in the arrived replies of every
     * worker with calls in flight and completes their futures.
     *
     * @return replies taken in
     */
    int driveAsync() {
        int n = 0;
        for (WorkerChannel ch : channels) {
            if (ch.failure() == null && ch.hasPending()) {
                n += ch.progressBatch(Integer.MAX_VALUE);
            }
        }
        return n;
    }

    /** The lease's final accounting, once it ended (after {@link #release()} or an unsolicited end). */
    public Optional<LeaseAccounting> accounting() {
        LeaseEnded e = ended;
        return e == null ? Optional.empty() : Optional.of(e.accounting());
    }

    /**
     * Ends the lease: the manager stops the executor and answers with the lease's accounting.
     * Pending calls fail with {@link ExecutorShutdownException}. Idempotent.
     *
     * @return the accounting the manager reported
     * @throws ExecutorLostException when the manager cannot be reached to confirm
     */
    public synchronized LeaseAccounting release() {
        if (!closed) {
            closed = true;
            LockSupport.unpark(poller);
            try {
                poller.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                if (control == null) {
                    ended = new LeaseEnded(leaseId, LeaseEndReason.RELEASED, LeaseAccounting.ZERO, "");
                } else if (ended == null) {
                    requestRelease();
                }
            } finally {
                for (WorkerChannel ch : channels) {
                    ch.fail(new ExecutorShutdownException("lease " + leaseId + " was released"));
                    ch.close();
                }
                LeaseEnded e = ended;
                if (control != null) { // null: a loopback executor, no control link to keep or close
                    if (e != null && e.reason() == LeaseEndReason.RELEASED && control.isOpen()) {
                        keepControl.accept(link);
                    } else {
                        control.close();
                    }
                }
                onClose.run();
            }
        }
        LeaseEnded e = ended;
        if (e == null) {
            throw new ExecutorLostException("the executor manager of lease " + leaseId
                    + " did not confirm the release; its accounting is unknown here");
        }
        return e.accounting();
    }

    /** Releases the lease (see {@link #release()}); a failure to confirm is logged, not thrown. */
    @Override
    public void close() {
        try {
            release();
        } catch (RfaasException e) {
            LOG.warn("closing executor of lease {}: {}", leaseId, e.getMessage());
        }
    }

    /**
     * Marks the lease revoked (told by the resource manager): pending and new calls fail with
     * {@link LeaseRevokedException} at once. Callers spinning for a reply already read the
     * worker's failure flag on every turn, so this adds nothing to the invoke path.
     */
    void revoke(String reason) {
        RfaasException error = new LeaseRevokedException("lease " + leaseId + " on " + node + " was revoked: " + reason);
        for (WorkerChannel ch : channels) {
            ch.fail(error);
        }
    }

    private void checkInput(long length) {
        if (length > inputCapacity) {
            throw new InputTooLargeException("input of " + length + " bytes exceeds the input capacity of "
                    + inputCapacity + " bytes given at allocation");
        }
    }

    private void throwClosedOrFailed() {
        for (WorkerChannel ch : channels) {
            ch.throwIfFailed();
        }
        throw new ExecutorShutdownException("executor of lease " + leaseId + " is closed");
    }

    private void helpProgress() {
        for (WorkerChannel ch : channels) {
            if (ch.hasPending()) {
                ch.progress(0);
            }
        }
        IdleStrategy.BUSY_SPIN.idle();
    }

    /**
     * The executor's background thread. It reads the control connection (an unsolicited lease
     * end) every 10 ms. Asynchronous calls are completed by their waiters; this thread only
     * rescues futures nobody waits on, by taking replies in when a millisecond passed without
     * anyone doing it. With {@link RfaasClient.Builder#backgroundPoller} it completes them itself
     * instead: spinning while replies are coming, then waiting in the transport.
     */
    private void pollLoop() {
        long lastControlCheck = System.nanoTime();
        long idleSince = System.nanoTime();
        long seen = async.completed();
        IdleStrategy idle = new SpinYieldIdleStrategy(256);
        while (!closed) {
            long now = System.nanoTime();
            if (now - lastControlCheck > 10_000_000L) {
                lastControlCheck = now;
                pollControl();
            }
            if (async.outstanding() <= 0) {
                LockSupport.parkNanos(this, 10_000_000L);
                idleSince = System.nanoTime();
                continue;
            }
            if (!backgroundPoller) {
                long before = async.completed();
                LockSupport.parkNanos(this, 1_000_000L);
                if (async.completed() == before && async.outstanding() > 0) {
                    driveAsync();
                }
                continue;
            }
            boolean warm = now - idleSince > 1_000_000L;
            for (WorkerChannel ch : channels) {
                if (ch.hasPending() && ch.failure() == null) {
                    ch.progress(warm ? 200_000L : 0);
                }
            }
            long completed = async.completed();
            if (completed != seen) {
                seen = completed;
                idleSince = System.nanoTime();
                idle.reset();
            } else {
                idle.idle();
            }
        }
    }

    /** Picks up an unsolicited lease end (expiry, revocation, executor death) from the manager. */
    private void pollControl() {
        try {
            if (ended == null && control != null && control.poll(controlCompletion)) {
                onControlMessage(controlCompletion);
            }
        } catch (TransportException e) {
            LOG.debug("lease {}: control connection: {}", leaseId, e.getMessage());
        }
    }

    private void onControlMessage(Completion c) {
        MemorySegment slot = control.receiveSlot(c.slot());
        MessageType type = MessageHeader.check(slot, 0, c.length(), MessageHeader.LENGTH);
        if (type != MessageType.LEASE_ENDED) {
            control.release(c.slot());
            throw new org.rfaas.transport.ProtocolException(org.rfaas.transport.ProtocolError.BAD_TYPE,
                    "unexpected " + type + " from the executor manager");
        }
        LeaseEnded e = LeaseEnded.decode(slot, 0, c.length());
        control.release(c.slot());
        ended = e;
        LOG.debug("lease {} ended: {} {}", leaseId, e.reason(), e.message());
        if (e.reason() != LeaseEndReason.RELEASED) {
            RfaasException error = Statuses.toException(e.reason(), leaseId, e.message());
            for (WorkerChannel ch : channels) {
                ch.explain(error);
            }
        }
    }

    private void requestRelease() {
        int length = ReleaseRequest.write(controlBuffer, 0, leaseId);
        try {
            control.write(0, controlBuffer, 0, length, 0);
            long deadline = System.nanoTime() + RELEASE_TIMEOUT_NANOS;
            while (ended == null && System.nanoTime() - deadline < 0) {
                if (control.await(controlCompletion, 100_000_000L)) {
                    onControlMessage(controlCompletion);
                }
            }
        } catch (TransportException e) {
            LOG.warn("lease {}: releasing: {}", leaseId, e.getMessage());
        }
    }
}
