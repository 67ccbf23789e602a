package org.rfaas.transport.tcp;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tcp connection: a non-blocking {@link SocketChannel} carrying {@link Frame}s.
 *
 * <h2>Memory</h2>
 * The receive slots, the counters, the receive stage and the send staging buffer live in one
 * shared {@link Arena} owned by the connection and freed on {@link #close}. Payloads are read
 * straight from the socket into the receive slot (through a {@link ByteBuffer} view created once
 * per slot), except for what one read pulls in together with the header (at most
 * {@link #RX_STAGE} bytes, which saves a system call per small message and is copied into the
 * slot). On the send side, payloads up to
 * {@link #STAGED_PAYLOAD_MAX} are copied behind the header so that the frame leaves in one
 * {@code write(2)}; larger payloads are written straight from the caller's registered buffer
 * through a preallocated view. Nothing is allocated per message.
 *
 * <h2>Threads and guards</h2>
 * Two tiny guards (an {@code int} flipped with one uncontended CAS) replace locks:
 * <ul>
 *   <li>the <em>receive guard</em> owns the socket's read side and the parser state. The thread
 *       in {@link #poll} or {@link #await} takes it; so does a thread waiting in
 *       {@link #fetchAndAdd} for its answer, or a {@link #write} stalled on a full socket, which
 *       therefore keep the connection receiving (WRITE frames they read are queued in a small
 *       preallocated ring that the next {@code poll} drains first, in order);</li>
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

    /** A selector callback that ignores the key: readiness alone is what we wait for. */
    static final Consumer<SelectionKey> IGNORE_KEY = key -> { };

    private static final VarHandle RECEIVING;
    private static final VarHandle SENDING;
    private static final VarHandle CLOSED;
    private static final VarHandle BYTES_RECEIVED;
    private static final VarHandle FRAMES_SENT;
    private static final VarHandle COUNTER = ValueLayout.JAVA_LONG.varHandle();

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            RECEIVING = l.findVarHandle(TcpConnection.class, "receiving", int.class);
            SENDING = l.findVarHandle(TcpConnection.class, "sending", int.class);
            CLOSED = l.findVarHandle(TcpConnection.class, "closed", boolean.class);
            BYTES_RECEIVED = l.findVarHandle(TcpConnection.class, "bytesReceived", long.class);
            FRAMES_SENT = l.findVarHandle(TcpConnection.class, "framesSent", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final int RX_HEADER = 0;
    private static final int RX_PAYLOAD = 1;
    private static final int NOTHING = 0;
    private static final int DELIVERED = 1;
    private static final int CONTROL = 2;
    /** Frames one {@link #poll} parses at most, so a flood of FAA requests cannot starve the caller. */
    private static final int FRAMES_PER_STEP = 64;
    private static final long GUARD_BACKOFF_NANOS = 20_000;
    /**
     * Payloads up to this size are copied behind the header and sent with one {@code write(2)}:
     * a copy this small costs less than a second system call, and the JDK's gathering write
     * allocates per call for memory-segment buffers. Larger payloads go straight from the source.
     */
    static final int STAGED_PAYLOAD_MAX = 8 << 10;
    /**
     * Bytes one {@code read(2)} may pull into the receive stage: a header plus a small payload, or
     * several small frames, arrive with one system call. Staged payload bytes are copied into the
     * slot; the rest of a larger payload is read straight into the slot.
     */
    static final int RX_STAGE = Frame.LENGTH + (8 << 10);

    private final SocketChannel channel;
    private final Selector readSelector;
    private Selector writeSelector;
    private final ConnectionSpec local;
    private final ConnectionSpec peer;
    private final String peerDescription;
    private final TcpContext context;

    private final Arena arena;
    private final MemorySegment receiveMemory;
    private final long receiveBase;
    private final MemorySegment counters;
    private final MemorySegment[] slotSegments;
    private final ByteBuffer[] receiveViews;
    private final ByteBuffer[] sendSlotViews;
    private volatile Region[] regions = new Region[0];

    // Receive side: touched only by the holder of the receive guard.
    private final Frame rxFrame = new Frame();
    private final MemorySegment rxStage;
    private final ByteBuffer rxStageView;
    private int rxPosition;
    private int rxLimit;
    private int rxState = RX_HEADER;
    private ByteBuffer rxPayload;
    private int rxSlot;
    private int rxLength;
    private int rxImmediate;
    private final int[] ringSlot;
    private final int[] ringLength;
    private final int[] ringImmediate;
    private final int ringMask;
    private long ringHead;
    private long ringTail;
    /** Bytes read so far: a plain counter the reader bumps anyway; {@link TcpLiveness} samples it. */
    private long bytesReceived;

    // Send side: touched only by the holder of the send guard.
    private final Frame txFrame = new Frame();
    private final MemorySegment txStaging;
    private final ByteBuffer txHeader;
    private final ByteBuffer txStagingView;
    /** Frames sent so far (WRITEs and heartbeats); {@link TcpLiveness} samples it. */
    private long framesSent;

    // Liveness: the heartbeat frame, written only by the liveness timer under the send guard.
    private final ByteBuffer heartbeat;
    private boolean heartbeatUnfinished;
    private final TcpLiveness liveness;

    // A fetch-and-add of ours in flight (one at a time: one sending thread).
    private volatile boolean faaOutstanding;
    private volatile boolean faaDone;
    private volatile Thread faaWaiter;
    private int faaIndex;
    private long faaResult;

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

    /** A buffer from {@link #allocateBuffer} and the view used to write from it. */
    private record Region(long base, long size, ByteBuffer view) {
    }

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
        this.context = context;
        receiveMemory = arena.allocate(local.slotBytes(), 4096);
        receiveBase = receiveMemory.address();
        counters = sharedCounters != null ? sharedCounters : arena.allocate(Math.max(8L, 8L * local.counters()), 64);
        int slots = local.slots();
        slotSegments = new MemorySegment[slots];
        receiveViews = new ByteBuffer[slots];
        sendSlotViews = new ByteBuffer[slots];
        for (int s = 0; s < slots; s++) {
            slotSegments[s] = receiveMemory.asSlice((long) s * local.slotSize(), local.slotSize());
            receiveViews[s] = slotSegments[s].asByteBuffer();
            sendSlotViews[s] = slotSegments[s].asByteBuffer();
        }
        rxStage = arena.allocate(RX_STAGE, 64);
        rxStageView = rxStage.asByteBuffer();
        txStaging = arena.allocate(Frame.LENGTH + STAGED_PAYLOAD_MAX, 64);
        txFrame.wrap(txStaging.asSlice(0, Frame.LENGTH));
        txHeader = txStaging.asSlice(0, Frame.LENGTH).asByteBuffer();
        txStagingView = txStaging.asByteBuffer();
        int ring = Integer.highestOneBit(Math.max(64, 2 * slots) - 1) << 1;
        ringSlot = new int[ring];
        ringLength = new int[ring];
        ringImmediate = new int[ring];
        ringMask = ring - 1;
        MemorySegment hb = arena.allocate(Frame.LENGTH, 8);
        new Frame().wrap(hb).put(Frame.HEARTBEAT, 0, 0, 0, 0);
        heartbeat = hb.asByteBuffer();
        liveness = TcpLiveness.start(this, context.liveness());
    }

    /** A selector timeout in whole milliseconds, at least 1 (0 would mean "forever"), without overflow. */
    static long ceilMillis(long nanos) {
        if (nanos > Long.MAX_VALUE - 999_999L) {
            return Long.MAX_VALUE / 1_000_000L;
        }
        return Math.max(1L, (nanos + 999_999L) / 1_000_000L);
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
        MemorySegment seg = arena.allocate(bytes, 64);
        Region[] old = regions;
        Region[] grown = java.util.Arrays.copyOf(old, old.length + 1);
        grown[old.length] = new Region(seg.address(), bytes, seg.asByteBuffer());
        regions = grown;
        return seg;
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
            framesSent++;
            txFrame.put(Frame.WRITE, length, peerSlot, immediate, 0);
            if (length <= STAGED_PAYLOAD_MAX) {
                MemorySegment.copy(source, offset, txStaging, Frame.LENGTH, length);
                txStagingView.limit(Frame.LENGTH + length).position(0);
                sendFully(txStagingView);
            } else {
                txHeader.clear();
                sendFully(txHeader);
                sendFully(sendView(source, offset, length));
            }
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
                        readSelector.select(IGNORE_KEY, ceilMillis(remaining));
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

    @Override
    public void release(int slot) {
        Objects.checkIndex(slot, slotSegments.length);
    }

    @Override
    public long fetchAndAdd(int index, long delta) {
        checkUsable();
        if (index < 0 || index >= peer.counters()) {
            throw new IllegalArgumentException("counter " + index + " is outside the peer's " + peer.counters() + " counters");
        }
        faaIndex = index;
        faaDone = false;
        faaWaiter = Thread.currentThread();
        faaOutstanding = true;
        try {
            acquireSend();
            try {
                txFrame.put(Frame.FAA_REQUEST, 0, index, 0, delta);
                sendHeader();
            } finally {
                releaseSend();
            }
            long start = System.nanoTime();
            long limit = context.fetchAndAddTimeout().toNanos();
            int spins = 0;
            while (!faaDone) {
                checkUsable();
                if (System.nanoTime() - start > limit) {
                    throw fail(new PeerFailedException("peer " + peerDescription + " did not answer a fetch-and-add within "
                            + context.fetchAndAddTimeout().toMillis() + " ms; over tcp the peer applies it while it polls"
                            + " or awaits its connection, so it must keep doing that"));
                }
                if (tryAcquireReceive()) {
                    try {
                        receiveWhileBusy();
                        if (!faaDone) {
                            if (responsePending || ringFull()) {
                                LockSupport.parkNanos(this, GUARD_BACKOFF_NANOS);
                            } else if (spins++ < 64) {
                                Thread.onSpinWait();
                            } else {
                                readSelector.select(IGNORE_KEY, 10);
                            }
                        }
                    } catch (IOException | ClosedSelectorException e) {
                        throw ioFailure(e);
                    } finally {
                        releaseReceive();
                    }
                } else {
                    LockSupport.parkNanos(this, GUARD_BACKOFF_NANOS); // the receiving thread unparks us
                }
            }
            return faaResult;
        } finally {
            faaWaiter = null;
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
        if (ringHead != ringTail) {
            int i = (int) ringHead & ringMask;
            into.set(ringSlot[i], ringLength[i], ringImmediate[i]);
            ringHead++;
            return true;
        }
        try {
            for (int frames = 0; frames < FRAMES_PER_STEP; frames++) {
                if (responsePending && !flushResponse()) {
                    return false;
                }
                int r = readFrame();
                if (r == DELIVERED) {
                    into.set(rxSlot, rxLength, rxImmediate);
                    return true;
                }
                if (r == NOTHING) {
                    return false;
                }
            }
            return false;
        } catch (TransportException e) {
            throw fail(e);
        }
    }

    /** Receives on behalf of the owner (FAA wait, stalled write): completions go to the ring. */
    private void receiveWhileBusy() {
        try {
            for (int frames = 0; frames < FRAMES_PER_STEP && !ringFull(); frames++) {
                if (responsePending && !flushResponse()) {
                    return;
                }
                int r = readFrame();
                if (r == DELIVERED) {
                    int i = (int) ringTail & ringMask;
                    ringSlot[i] = rxSlot;
                    ringLength[i] = rxLength;
                    ringImmediate[i] = rxImmediate;
                    ringTail++;
                } else if (r == NOTHING) {
                    return;
                }
            }
        } catch (TransportException e) {
            throw fail(e);
        }
    }

    private boolean ringFull() {
        return ringTail - ringHead > ringMask;
    }

    /** Advances the frame parser by at most one frame. */
    private int readFrame() {
        if (rxState == RX_HEADER) {
            if (rxLimit - rxPosition < Frame.LENGTH && !fillStage()) {
                return NOTHING;
            }
            rxFrame.wrap(rxStage, rxPosition);
            byte type = rxFrame.validate(local, peerDescription);
            rxPosition += Frame.LENGTH;
            switch (type) {
                case Frame.WRITE -> {
                    rxSlot = rxFrame.index();
                    rxLength = rxFrame.length();
                    rxImmediate = rxFrame.immediate();
                    int staged = Math.min(rxLimit - rxPosition, rxLength);
                    if (staged > 0) {
                        MemorySegment.copy(rxStage, rxPosition, slotSegments[rxSlot], 0, staged);
                        rxPosition += staged;
                    }
                    if (staged == rxLength) {
                        return DELIVERED;
                    }
                    // The stage is empty now: the rest goes straight into the slot.
                    ByteBuffer view = receiveViews[rxSlot];
                    view.limit(rxLength).position(staged);
                    rxPayload = view;
                    rxState = RX_PAYLOAD;
                }
                case Frame.FAA_REQUEST -> {
                    int index = rxFrame.index();
                    long previous = (long) COUNTER.getAndAdd(counters, 8L * index, rxFrame.value());
                    responseIndex = index;
                    responseValue = previous;
                    responsePending = true;
                    flushResponse();
                    return CONTROL;
                }
                case Frame.FAA_RESPONSE -> {
                    if (!faaOutstanding) {
                        throw new ProtocolException(ProtocolError.BAD_TYPE,
                                "FAA_RESPONSE from " + peerDescription + " but no fetch-and-add is outstanding");
                    }
                    if (rxFrame.index() != faaIndex) {
                        throw new ProtocolException(ProtocolError.BAD_INDEX, "FAA_RESPONSE from " + peerDescription
                                + " names counter " + rxFrame.index() + " but the request was for counter " + faaIndex);
                    }
                    faaResult = rxFrame.value();
                    faaOutstanding = false;
                    faaDone = true;
                    Thread waiter = faaWaiter;
                    if (waiter != null && waiter != Thread.currentThread()) {
                        LockSupport.unpark(waiter);
                    }
                    return CONTROL;
                }
                case Frame.HEARTBEAT -> {
                    return CONTROL;
                }
                case Frame.CLOSE -> throw new PeerFailedException("peer " + peerDescription + " closed the connection");
                case Frame.ERROR -> throw new PeerFailedException("peer " + peerDescription + " rejected a frame from this side ("
                        + ProtocolError.ofCode(rxFrame.index()) + ") and closed the connection");
                default -> throw new ProtocolException(ProtocolError.BAD_TYPE,
                        Frame.typeName(type) + " from " + peerDescription + " after the connection was established");
            }
        }
        read(rxPayload);
        if (rxPayload.hasRemaining()) {
            return NOTHING;
        }
        rxState = RX_HEADER;
        return DELIVERED;
    }

    /**
     * Moves a partial header to the front of the stage and reads as much as the socket has.
     * Returns whether a whole header is staged now.
     */
    private boolean fillStage() {
        int staged = rxLimit - rxPosition;
        if (rxPosition > 0) {
            if (staged > 0) {
                MemorySegment.copy(rxStage, rxPosition, rxStage, 0, staged); // fewer than 32 bytes
            }
            rxPosition = 0;
            rxLimit = staged;
        }
        rxStageView.limit(RX_STAGE).position(rxLimit);
        read(rxStageView);
        rxLimit = rxStageView.position();
        return rxLimit - rxPosition >= Frame.LENGTH;
    }

    private void read(ByteBuffer buf) {
        int n;
        try {
            n = channel.read(buf);
        } catch (IOException e) {
            throw ioFailure(e);
        }
        if (n < 0) {
            throw endOfStream();
        }
        bytesReceived += n;
    }

    private TransportException endOfStream() {
        int staged = rxLimit - rxPosition;
        if (rxState == RX_HEADER && staged == 0) {
            return new PeerFailedException("peer " + peerDescription
                    + " closed the connection without a CLOSE frame: its process exited or was killed");
        }
        if (rxState == RX_HEADER) {
            return new ProtocolException(ProtocolError.TRUNCATED, "stream from " + peerDescription + " ended after "
                    + staged + " of " + Frame.LENGTH + " frame header bytes");
        }
        return new ProtocolException(ProtocolError.TRUNCATED, "stream from " + peerDescription + " ended after "
                + rxPayload.position() + " of " + rxLength + " payload bytes of a WRITE into slot " + rxSlot);
    }

    // ---------------------------------------------------------------- sending

    /** Sends the header alone (control frames). Holds the send guard. */
    private void sendHeader() {
        txHeader.clear();
        sendFully(txHeader);
    }

    /** Writes all of {@code buf}, waiting for room in the socket. Holds the send guard. */
    private void sendFully(ByteBuffer buf) {
        try {
            while (true) {
                channel.write(buf);
                if (!buf.hasRemaining()) {
                    return;
                }
                awaitWritable();
            }
        } catch (IOException | ClosedSelectorException e) {
            throw ioFailure(e);
        }
    }

    /**
     * The socket is full: the peer is not reading fast enough. Keep receiving meanwhile (so two
     * peers writing large frames at each other cannot deadlock), then sleep until writable.
     */
    private void awaitWritable() throws IOException {
        checkUsable();
        if (tryAcquireReceive()) {
            try {
                receiveWhileBusy();
            } finally {
                releaseReceive();
            }
        }
        if (writeSelector == null) {
            writeSelector = Selector.open();
            channel.register(writeSelector, SelectionKey.OP_WRITE);
        }
        writeSelector.select(IGNORE_KEY, 10);
    }

    /**
     * Returns a view of registered memory covering {@code [offset, offset + length)} of
     * {@code source}. Registered memory (receive slots, {@link #allocateBuffer} buffers) has a
     * preallocated view; anything else gets a fresh one (allocates, still correct).
     */
    private ByteBuffer sendView(MemorySegment source, long offset, int length) {
        long address = source.address() + offset;
        long rel = address - receiveBase;
        if (source.isNative() && rel >= 0 && rel < receiveMemory.byteSize()) {
            int slot = (int) (rel / local.slotSize());
            int inSlot = (int) (rel - (long) slot * local.slotSize());
            if (inSlot + length <= local.slotSize()) {
                ByteBuffer v = sendSlotViews[slot];
                v.limit(inSlot + length).position(inSlot);
                return v;
            }
        }
        if (source.isNative()) {
            for (Region r : regions) {
                long in = address - r.base;
                if (in >= 0 && in + length <= r.size) {
                    ByteBuffer v = r.view;
                    v.limit((int) in + length).position((int) in);
                    return v;
                }
            }
        }
        return source.asSlice(offset, length).asByteBuffer();
    }

    /** Sends the pending FAA answer if the send guard is free. Returns whether nothing is pending any more. */
    private boolean flushResponse() {
        while (responsePending) {
            if (!tryAcquireSend()) {
                return false; // the holder flushes it when it releases the guard
            }
            try {
                if (responsePending) {
                    txFrame.put(Frame.FAA_RESPONSE, 0, responseIndex, 0, responseValue);
                    responsePending = false;
                    sendHeader();
                }
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
            txFrame.put(type, 0, index, 0, 0);
            txHeader.clear();
            channel.write(txHeader);
        } catch (IOException e) {
            LOG.debug("could not send {} to {}: {}", Frame.typeName(type), peerDescription, e.toString());
        } finally {
            SENDING.setVolatile(this, 0);
        }
    }

    // ---------------------------------------------------------------- liveness (see TcpLiveness)

    long bytesReceived() {
        return (long) BYTES_RECEIVED.getOpaque(this);
    }

    long framesSent() {
        return (long) FRAMES_SENT.getOpaque(this);
    }

    /** Whether the liveness timer holds the send guard for a heartbeat the socket took only in part. */
    boolean heartbeatUnfinished() {
        return heartbeatUnfinished;
    }

    /**
     * Sends (or goes on sending) a HEARTBEAT without ever blocking the timer thread. A write in
     * progress holds the send guard and is itself the sign of life. If the socket takes part of the
     * frame, the guard stays taken until a later run finishes it, so no frame interleaves with it.
     */
    void sendHeartbeat() {
        if (!heartbeatUnfinished) {
            if (!tryAcquireSend()) {
                return;
            }
            heartbeat.clear();
        }
        try {
            channel.write(heartbeat);
        } catch (IOException e) {
            heartbeatUnfinished = false;
            releaseSend();
            throw ioFailure(e);
        }
        if (!heartbeat.hasRemaining()) {
            framesSent++;
        } else if (heartbeat.position() > 0) {
            heartbeatUnfinished = true;
            return;
        }
        heartbeatUnfinished = false;
        releaseSend();
    }

    /** Gives up a half-sent heartbeat's send guard once the connection is closed or failed. */
    void abandonHeartbeat() {
        if (heartbeatUnfinished) {
            heartbeatUnfinished = false;
            releaseSend();
        }
    }

    /** Receives on the owner's behalf if no thread is receiving; completions wait in the backlog. */
    void receiveForIdleOwner() {
        if (tryAcquireReceive()) {
            try {
                receiveWhileBusy();
            } finally {
                releaseReceive();
            }
        }
    }

    /** Whether completions wait for the owner and none can be queued: the peer is sending. */
    boolean backlogFull() {
        return ringFull();
    }

    /** Nothing arrived for {@code silentMillis}: the peer's host is unreachable or frozen. */
    void peerSilent(long silentMillis, long timeoutMillis) {
        fail(new PeerFailedException("peer " + peerDescription + " sent nothing for " + silentMillis
                + " ms (liveness timeout " + timeoutMillis + " ms): its host is unreachable or its process is frozen"));
    }

    // ---------------------------------------------------------------- guards, failure, cleanup

    private boolean tryAcquireReceive() {
        return RECEIVING.compareAndSet(this, 0, 1);
    }

    private void releaseReceive() {
        RECEIVING.setVolatile(this, 0);
        if (closed) {
            freeIfIdle();
        }
    }

    private boolean tryAcquireSend() {
        return SENDING.compareAndSet(this, 0, 1);
    }

    private void acquireSend() {
        int spins = 0;
        while (!SENDING.compareAndSet(this, 0, 1)) {
            checkUsable();
            if (++spins < 1_000) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(this, 1_000);
            }
        }
    }

    private void releaseSend() {
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

    private void checkUsable() {
        TransportException f = failure;
        if (f != null) {
            throw new PeerFailedException("connection to " + peerDescription + " has failed: " + f.getMessage(), f);
        }
        if (closed) {
            throw new TransportException("connection to " + peerDescription + " was closed by this side");
        }
    }

    private TransportException ioFailure(Exception e) {
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
    private TransportException fail(TransportException e) {
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
        Thread waiter = faaWaiter;
        if (waiter != null) {
            LockSupport.unpark(waiter);
        }
    }

    /** Frees native memory once closed and no thread is inside; the guards then stay taken forever. */
    private void freeIfIdle() {
        for (int i = 0; i < 1_000 && !freed; i++) {
            if (tryAcquireReceive()) {
                if (tryAcquireSend()) {
                    freed = true;
                    try {
                        readSelector.close();
                        if (writeSelector != null) {
                            writeSelector.close();
                        }
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
