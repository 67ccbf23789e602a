package org.rfaas.transport.tcp;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import org.rfaas.transport.BackoffIdleStrategy;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.IdleStrategy;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tcp connection: a non-blocking {@link SocketChannel} carrying {@link Frame}s, read by a
 * {@link TcpFrameReader}, written by a {@link TcpFrameWriter} and watched by {@link TcpLiveness}.
 * This class owns the guards, fetch-and-add, failure and close.
 *
 * <h2>Memory</h2>
 * The receive slots, the counters, the reader's stage and the writer's staging buffer live in one
 * shared {@link Arena} owned by the connection and freed once it is closed and no thread is
 * inside. Nothing is allocated per message.
 *
 * <h2>Threads and guards</h2>
 * Two tiny guards (an {@code int} flipped with one uncontended CAS) replace locks:
 * <ul>
 *   <li>the <em>receive guard</em> owns the socket's read side and the parser state. The thread
 *       in {@link #poll} or {@link #await} takes it; so does a thread waiting in
 *       {@link #fetchAndAdd} for its answer, or a {@link #write} stalled on a full socket, which
 *       therefore keep the connection receiving (WRITE frames they read are queued in a small
 *       {@link CompletionBacklog} that the next {@code poll} drains first, in order);</li>
 *   <li>the <em>send guard</em> owns the socket's write side, so a {@link #write} on the sending
 *       thread and an FAA_RESPONSE produced on the receiving thread never interleave bytes. If
 *       the receiving thread finds the guard taken, it parks the response in a single pending
 *       slot and stops parsing; whichever thread releases the guard next flushes it.</li>
 * </ul>
 * Neither guard is held across user code. The JDK's own channel read/write locks are still taken
 * inside {@link SocketChannel} (uncontended).
 *
 * <h2>Hot and warm</h2>
 * {@link #poll} is one non-blocking {@code read(2)} when nothing is pending. {@link #await} blocks
 * in {@code epoll_wait} through a per-connection {@link Selector} (millisecond timeout
 * granularity) and never spins.
 */
final class TcpConnection implements Connection {
    private static final Logger LOG = LoggerFactory.getLogger(TcpConnection.class);

    private static final VarHandle RECEIVING;
    private static final VarHandle SENDING;
    private static final VarHandle CLOSED;
    private static final VarHandle COUNTER = ValueLayout.JAVA_LONG.varHandle();

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            RECEIVING = l.findVarHandle(TcpConnection.class, "receiving", int.class);
            SENDING = l.findVarHandle(TcpConnection.class, "sending", int.class);
            CLOSED = l.findVarHandle(TcpConnection.class, "closed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Frames one {@link #poll} parses at most, so a flood of FAA requests cannot starve the caller. */
    private static final int FRAMES_PER_STEP = 64;
    private static final long GUARD_BACKOFF_NANOS = 20_000;

    private final SocketChannel channel;
    private final Selector readSelector;
    private final ConnectionSpec local;
    private final ConnectionSpec peer;
    private final String peerDescription;

    private final Arena arena;
    private final MemorySegment counters;
    private final MemorySegment[] slotSegments;

    // Receive side: touched only by the holder of the receive guard.
    private final TcpFrameReader reader;
    private final CompletionBacklog backlog;

    // Send side: touched only by the holder of the send guard.
    private final TcpFrameWriter writer;
    /** Sending thread only: how {@link #acquireSend} waits for the guard (spin, then park 1 µs). */
    private final IdleStrategy sendIdle = new BackoffIdleStrategy(1_000, 0, 1_000, 1_000);
    private final TcpLiveness liveness;

    private final TcpFetchAndAdd faa;

    // The peer's fetch-and-add we applied but could not answer yet because the send guard was taken.
    private volatile boolean responsePending;
    private int responseIndex;
    private long responseValue;

    @SuppressWarnings("unused") // through RECEIVING
    private volatile int receiving;
    @SuppressWarnings("unused") // through SENDING
    private volatile int sending;
    private volatile boolean closed;
    private volatile boolean freed;
    private volatile TransportException failure;

    /** Takes over an established socket; see {@link TcpHandshake}. */
    TcpConnection(SocketChannel channel, Selector readSelector, Arena arena, ConnectionSpec local,
            ConnectionSpec peer, String peerDescription, TcpContext context) {
        this(channel, readSelector, arena, local, peer, peerDescription, context, null);
    }

    /**
     * Takes over an established socket whose local counters are {@code sharedCounters} (at least
     * {@code 8 * local.counters()} bytes, owned by the listener) instead of its own, or its own
     * when that is {@code null}. Peers' additions arriving on different connections, and thus on
     * different receiving threads, meet in one atomic {@code getAndAdd} on the shared memory.
     */
    TcpConnection(SocketChannel channel, Selector readSelector, Arena arena, ConnectionSpec local,
            ConnectionSpec peer, String peerDescription, TcpContext context, MemorySegment sharedCounters) {
        this.channel = channel;
        this.readSelector = readSelector;
        this.arena = arena;
        this.local = local;
        this.peer = peer;
        this.peerDescription = peerDescription;
        // Each slot follows the writer's headroom (where a header goes to leave with the payload).
        long stride = TcpFrameWriter.HEADROOM + (long) local.slotSize();
        MemorySegment receiveMemory = arena.allocate(stride * local.slots(), 4096);
        counters = sharedCounters != null ? sharedCounters : arena.allocate(Math.max(8L, 8L * local.counters()), 64);
        int slots = local.slots();
        MemorySegment[] landings = new MemorySegment[slots];
        for (int s = 0; s < slots; s++) {
            landings[s] = receiveMemory.asSlice(s * stride + TcpFrameWriter.HEADROOM - Frame.LENGTH,
                    Frame.LENGTH + local.slotSize());
        }
        reader = new TcpFrameReader(channel, local, peerDescription, landings, arena);
        slotSegments = new MemorySegment[slots];
        for (int s = 0; s < slots; s++) {
            slotSegments[s] = reader.slotSegment(s);
        }
        writer = new TcpFrameWriter(channel, this::whileStalled, local, receiveMemory, arena);
        backlog = new CompletionBacklog(Math.max(64, 2 * slots));
        faa = new TcpFetchAndAdd(this, readSelector, peerDescription, context.fetchAndAddTimeout());
        liveness = TcpLiveness.start(this, context.liveness());
    }

    // ---------------------------------------------------------------- Connection

    @Override
    public ConnectionSpec localSpec() {
        return local;
    }

    @Override
    public ConnectionSpec peerSpec() {
        return peer;
    }

    @Override
    public String peerDescription() {
        return peerDescription;
    }

    @Override
    public MemorySegment receiveSlot(int slot) {
        Objects.checkIndex(slot, slotSegments.length);
        return slotSegments[slot];
    }

    @Override
    public synchronized MemorySegment allocateBuffer(long bytes) {
        if (bytes <= 0 || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tcp buffers hold 1 to " + Integer.MAX_VALUE + " bytes, asked for " + bytes);
        }
        checkUsable();
        return writer.register(arena.allocate(TcpFrameWriter.HEADROOM + bytes, 64));
    }

    /** Allocation-free; takes the send guard (one CAS, uncontended unless an FAA answer is going out). */
    @Override
    public void write(int peerSlot, MemorySegment source, long offset, int length, int immediate) {
        checkUsable();
        if (peerSlot < 0 || peerSlot >= peer.slots()) {
            throw new IllegalArgumentException("peer slot " + peerSlot + " is outside the peer's " + peer.slots() + " slots");
        }
        if (length < 0 || length > peer.slotSize()) {
            throw new IllegalArgumentException("length " + length + " does not fit the peer's " + peer.slotSize() + "-byte slots");
        }
        Objects.checkFromIndexSize(offset, length, source.byteSize());
        acquireSend();
        try {
            writer.write(peerSlot, source, offset, length, immediate);
        } catch (IOException | ClosedSelectorException e) {
            throw ioFailure(e);
        } finally {
            releaseSend();
        }
    }

    /** Allocation-free; takes the receive guard (one uncontended CAS). */
    @Override
    public boolean poll(Completion into) {
        checkUsable();
        if (!tryAcquireReceive()) {
            return false; // a fetch-and-add or a stalled write is receiving for us right now
        }
        try {
            return receiveStep(into);
        } finally {
            releaseReceive();
        }
    }

    @Override
    public boolean await(Completion into, long timeoutNanos) {
        if (timeoutNanos <= 0) {
            return poll(into);
        }
        long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            checkUsable();
            long remaining;
            if (tryAcquireReceive()) {
                try {
                    if (receiveStep(into)) {
                        return true;
                    }
                    remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        return false;
                    }
                    if (responsePending) {
                        // Frames wait until our FAA answer goes out; the sender flushes it soon.
                        LockSupport.parkNanos(this, Math.min(remaining, GUARD_BACKOFF_NANOS));
                    } else {
                        readSelector.select(Selectors.IGNORE_KEY, Selectors.ceilMillis(remaining));
                    }
                } catch (IOException | ClosedSelectorException e) {
                    throw ioFailure(e);
                } finally {
                    releaseReceive();
                }
            } else {
                remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return false;
                }
                LockSupport.parkNanos(this, Math.min(remaining, GUARD_BACKOFF_NANOS));
            }
        }
    }

    /** Allocation-free and lock-free: from now on the reader may read a frame straight into the slot. */
    @Override
    public void release(int slot) {
        Objects.checkIndex(slot, slotSegments.length);
        reader.release(slot);
    }

    @Override
    public long fetchAndAdd(int index, long delta) {
        checkUsable();
        if (index < 0 || index >= peer.counters()) {
            throw new IllegalArgumentException("counter " + index + " is outside the peer's " + peer.counters() + " counters");
        }
        faa.begin(index);
        try {
            acquireSend();
            try {
                writer.control(Frame.FAA_REQUEST, index, delta);
            } catch (IOException | ClosedSelectorException e) {
                throw ioFailure(e);
            } finally {
                releaseSend();
            }
            return faa.awaitAnswer();
        } finally {
            faa.end();
        }
    }

    @Override
    public long localCounter(int index) {
        Objects.checkIndex(index, local.counters());
        return (long) COUNTER.getVolatile(counters, 8L * index);
    }

    @Override
    public boolean isOpen() {
        return !closed && failure == null;
    }

    @Override
    public void close() {
        if (!CLOSED.compareAndSet(this, false, true)) {
            return;
        }
        if (failure == null) {
            sendControlBestEffort(Frame.CLOSE, 0);
        }
        shutdown();
        freeIfIdle();
        LOG.debug("closed connection to {}", peerDescription);
    }

    @Override
    public String toString() {
        return "TcpConnection[" + peerDescription + (isOpen() ? "" : ", closed") + "]";
    }

    // ---------------------------------------------------------------- receiving

    /** Delivers one completion into {@code into} if one is queued or arrives now. Holds the receive guard. */
    private boolean receiveStep(Completion into) {
        if (!backlog.isEmpty()) {
            backlog.take(into);
            return true;
        }
        try {
            for (int frames = 0; frames < FRAMES_PER_STEP; frames++) {
                if (responsePending && !flushResponse()) {
                    return false;
                }
                int r = readFrame();
                if (r == TcpFrameReader.DELIVERED) {
                    into.set(reader.slot(), reader.length(), reader.immediate());
                    return true;
                }
                if (r == TcpFrameReader.NOTHING) {
                    return false;
                }
            }
            return false;
        } catch (TransportException e) {
            throw fail(e);
        } catch (IOException e) {
            throw ioFailure(e);
        }
    }

    /** Receives on behalf of the owner (FAA wait, stalled write): completions go to the ring. */
    void receiveWhileBusy() {
        try {
            for (int frames = 0; frames < FRAMES_PER_STEP && !backlog.isFull(); frames++) {
                if (responsePending && !flushResponse()) {
                    return;
                }
                int r = readFrame();
                if (r == TcpFrameReader.DELIVERED) {
                    backlog.add(reader.slot(), reader.length(), reader.immediate());
                } else if (r == TcpFrameReader.NOTHING) {
                    return;
                }
            }
        } catch (TransportException e) {
            throw fail(e);
        } catch (IOException e) {
            throw ioFailure(e);
        }
    }

    /** Advances the frame reader by at most one frame and acts on a control frame. */
    private int readFrame() throws IOException {
        int r = reader.next();
        if (r == TcpFrameReader.CONTROL) {
            control(reader.frame());
        }
        return r;
    }

    /** Acts on a validated control frame. */
    private void control(Frame frame) {
        byte type = frame.type();
        switch (type) {
            case Frame.FAA_REQUEST -> {
                int index = frame.index();
                long previous = (long) COUNTER.getAndAdd(counters, 8L * index, frame.value());
                responseIndex = index;
                responseValue = previous;
                responsePending = true;
                flushResponse();
            }
            case Frame.FAA_RESPONSE -> faa.onResponse(frame);
            case Frame.HEARTBEAT -> {
                // a sign of life; the reader has counted its bytes
            }
            case Frame.CLOSE -> throw new PeerFailedException("peer " + peerDescription + " closed the connection");
            case Frame.ERROR -> throw new PeerFailedException("peer " + peerDescription + " rejected a frame from this side ("
                    + ProtocolError.ofCode(frame.index()) + ") and closed the connection");
            default -> throw new ProtocolException(ProtocolError.BAD_TYPE,
                    Frame.typeName(type) + " from " + peerDescription + " after the connection was established");
        }
    }

    // ---------------------------------------------------------------- sending

    /**
     * A write found the socket full: the peer is not reading fast enough. Keep receiving meanwhile
     * (so two peers writing large frames at each other cannot deadlock); the writer then sleeps
     * until the socket is writable.
     */
    private void whileStalled() {
        checkUsable();
        if (tryAcquireReceive()) {
            try {
                receiveWhileBusy();
            } finally {
                releaseReceive();
            }
        }
    }

    /** Sends the pending FAA answer if the send guard is free. Returns whether nothing is pending any more. */
    private boolean flushResponse() {
        while (responsePending) {
            if (!tryAcquireSend()) {
                return false; // the holder flushes it when it releases the guard
            }
            try {
                if (responsePending) {
                    responsePending = false;
                    writer.control(Frame.FAA_RESPONSE, responseIndex, responseValue);
                }
            } catch (IOException | ClosedSelectorException e) {
                throw ioFailure(e);
            } finally {
                SENDING.setVolatile(this, 0);
            }
        }
        return true;
    }

    private void sendControlBestEffort(byte type, int index) {
        if (!tryAcquireSend()) {
            LOG.debug("not sending {} to {}: a write is in progress", Frame.typeName(type), peerDescription);
            return;
        }
        try {
            writer.controlOnce(type, index);
        } catch (IOException e) {
            LOG.debug("could not send {} to {}: {}", Frame.typeName(type), peerDescription, e.toString());
        } finally {
            SENDING.setVolatile(this, 0);
        }
    }

    // ---------------------------------------------------------------- liveness (see TcpLiveness)

    TcpFrameReader reader() {
        return reader;
    }

    TcpFrameWriter writer() {
        return writer;
    }

    CompletionBacklog backlog() {
        return backlog;
    }

    boolean responsePending() {
        return responsePending;
    }

    /** Nothing arrived for {@code silentMillis}: the peer's host is unreachable or frozen. */
    void peerSilent(long silentMillis, long timeoutMillis) {
        fail(new PeerFailedException("peer " + peerDescription + " sent nothing for " + silentMillis
                + " ms (liveness timeout " + timeoutMillis + " ms): its host is unreachable or its process is frozen"));
    }

    // ---------------------------------------------------------------- guards, failure, cleanup

    boolean tryAcquireReceive() {
        return RECEIVING.compareAndSet(this, 0, 1);
    }

    void releaseReceive() {
        RECEIVING.setVolatile(this, 0);
        if (closed) {
            freeIfIdle();
        }
    }

    boolean tryAcquireSend() {
        return SENDING.compareAndSet(this, 0, 1);
    }

    /** Takes the send guard, waiting while an FAA answer or a heartbeat is going out. Sending thread only. */
    private void acquireSend() {
        if (SENDING.compareAndSet(this, 0, 1)) {
            return;
        }
        IdleStrategy idle = sendIdle;
        idle.reset();
        while (!SENDING.compareAndSet(this, 0, 1)) {
            checkUsable();
            idle.idle();
        }
    }

    void releaseSend() {
        SENDING.setVolatile(this, 0);
        // Pairs with responsePending=true then tryAcquireSend() on the receiving side: one of the
        // two threads sees the other, so an FAA answer is never stranded.
        if (responsePending) {
            flushResponse();
        }
        if (closed) {
            freeIfIdle();
        }
    }

    void checkUsable() {
        TransportException f = failure;
        if (f != null) {
            throw new PeerFailedException("connection to " + peerDescription + " has failed: " + f.getMessage(), f);
        }
        if (closed) {
            throw new TransportException("connection to " + peerDescription + " was closed by this side");
        }
    }

    TransportException ioFailure(Exception e) {
        TransportException f = failure;
        if (f != null) {
            return new PeerFailedException("connection to " + peerDescription + " has failed: " + f.getMessage(), f);
        }
        if (closed) {
            return new TransportException("connection to " + peerDescription + " was closed by this side");
        }
        String msg = String.valueOf(e.getMessage());
        String how = msg.contains("reset") ? "reset the connection" : msg.contains("Broken pipe")
                ? "is gone (broken pipe)" : "failed";
        return fail(new PeerFailedException("peer " + peerDescription + " " + how + " (" + msg
                + "): its process probably died", e));
    }

    /** Records the first failure, tells the peer about protocol errors, and closes the socket. */
    TransportException fail(TransportException e) {
        if (failure != null || closed) {
            return e;
        }
        failure = e;
        if (e instanceof ProtocolException pe) {
            LOG.warn("closing connection to {}: {}", peerDescription, pe.getMessage());
            sendControlBestEffort(Frame.ERROR, pe.error().code());
        } else {
            LOG.debug("connection to {} failed: {}", peerDescription, e.getMessage());
        }
        shutdown();
        return e;
    }

    private void shutdown() {
        liveness.stop();
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing the socket to {}: {}", peerDescription, e.toString());
        }
        readSelector.wakeup();
        faa.wakeWaiter();
    }

    /** Frees native memory once closed and no thread is inside; the guards then stay taken forever. */
    private void freeIfIdle() {
        for (int i = 0; i < 1_000 && !freed; i++) {
            if (tryAcquireReceive()) {
                if (tryAcquireSend()) {
                    freed = true;
                    try {
                        readSelector.close();
                        writer.closeSelector();
                    } catch (IOException e) {
                        LOG.debug("closing selectors of {}: {}", peerDescription, e.toString());
                    }
                    arena.close();
                    return;
                }
                RECEIVING.setVolatile(this, 0);
            }
            Thread.onSpinWait();
        }
    }
}
