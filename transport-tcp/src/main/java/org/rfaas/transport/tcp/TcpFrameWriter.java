package org.rfaas.transport.tcp;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import org.rfaas.transport.ConnectionSpec;

/**
 * The sending half of a {@link TcpConnection}'s byte stream. Payloads up to
 * {@link #STAGED_PAYLOAD_MAX} are copied behind the header so that the frame leaves in one
 * {@code write(2)}; larger payloads are written straight from the caller's registered memory
 * through a view preallocated per receive slot and per {@code allocateBuffer} region. Every such
 * region has {@link #HEADROOM} bytes in front of it that only this writer uses: a payload that
 * starts at the start of its region gets its header written there and leaves with it in one
 * {@code write(2)}, one TCP segment where two would wake the receiver twice (a gathering write
 * would do the same, but the JDK allocates per call for buffers of memory segments). Nothing is
 * allocated per frame. Touched only by the holder of the connection's send guard.
 *
 * <p>When the socket is full, the writer keeps the connection receiving through
 * {@link Stall#whileStalled} (so two peers writing large frames at each other cannot deadlock) and
 * then sleeps until the socket is writable.
 */
final class TcpFrameWriter {
    /**
     * Payloads up to this size are copied behind the header and sent with one {@code write(2)}:
     * a copy this small costs less than a second system call, and the JDK's gathering write
     * allocates per call for memory-segment buffers. Larger payloads go straight from the source.
     */
    static final int STAGED_PAYLOAD_MAX = 8 << 10;
    /**
     * Bytes the connection reserves in front of each receive slot and registered buffer for a
     * frame header ({@link Frame#LENGTH}), rounded so that the region itself stays 64-byte aligned.
     */
    static final int HEADROOM = 64;
    /**
     * A payload that starts less than this far into a receive slot leaves with its header in one
     * write(2), the header taking the bytes in front of it (the slot's headroom, then its own
     * first bytes): an executor's in-place reply starts 8 bytes in.
     */
    static final int HEADROOM_IN_SLOT = Frame.LENGTH + 1;
    private static final VarHandle FRAMES_SENT;

    static {
        try {
            FRAMES_SENT = MethodHandles.lookup().findVarHandle(TcpFrameWriter.class, "framesSent", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** What the connection does while a write waits for room in the socket. */
    interface Stall {
        /** Throws if the connection failed or closed; otherwise receives if no one else does. */
        void whileStalled();
    }

    /**
     * A buffer from {@code allocateBuffer} ({@code size} bytes at {@code base}), the memory from
     * its headroom on, and the view used to write from it (which starts at the header's place).
     */
    private record Region(long base, long size, MemorySegment memory, ByteBuffer view) {
    }

    private final SocketChannel channel;
    private final Stall stall;
    private final ConnectionSpec local;
    private final MemorySegment receiveMemory;
    private final long receiveBase;
    private final long slotStride;
    private final ByteBuffer[] sendSlotViews;
    private volatile Region[] regions = new Region[0];
    private final Frame frame = new Frame();
    private final MemorySegment staging;
    private final ByteBuffer header;
    private final ByteBuffer stagingView;
    private Selector writeSelector;
    /** Set by {@link #sendView}: the memory and offset of the header place in front of the view, or null. */
    private MemorySegment headroomMemory;
    private long headroomOffset;
    /** Frames sent so far (WRITEs and heartbeats); {@link TcpLiveness} samples it. */
    private long framesSent;
    /** The heartbeat frame, written only by the liveness timer. */
    private final ByteBuffer heartbeat;
    private boolean heartbeatUnfinished;

    /**
     * @param receiveMemory the receive slots, each {@link #HEADROOM} bytes after the end of the
     *     previous one (the first after {@code HEADROOM} bytes)
     */
    TcpFrameWriter(SocketChannel channel, Stall stall, ConnectionSpec local, MemorySegment receiveMemory, Arena arena) {
        this.channel = channel;
        this.stall = stall;
        this.local = local;
        this.receiveMemory = receiveMemory;
        this.receiveBase = receiveMemory.address();
        this.slotStride = HEADROOM + (long) local.slotSize();
        sendSlotViews = new ByteBuffer[local.slots()];
        for (int s = 0; s < sendSlotViews.length; s++) {
            sendSlotViews[s] = receiveMemory.asSlice(s * slotStride + HEADROOM - Frame.LENGTH,
                    Frame.LENGTH + local.slotSize()).asByteBuffer();
        }
        staging = arena.allocate(Frame.LENGTH + STAGED_PAYLOAD_MAX, 64);
        frame.wrap(staging.asSlice(0, Frame.LENGTH));
        header = staging.asSlice(0, Frame.LENGTH).asByteBuffer();
        stagingView = staging.asByteBuffer();
        MemorySegment hb = arena.allocate(Frame.LENGTH, 8);
        new Frame().wrap(hb).put(Frame.HEARTBEAT, 0, 0, 0, 0);
        heartbeat = hb.asByteBuffer();
    }

    /**
     * Makes {@code memory} (from {@code allocateBuffer}: {@link #HEADROOM} bytes, then the buffer)
     * a source that is written without a copy, and returns the buffer.
     */
    synchronized MemorySegment register(MemorySegment memory) {
        MemorySegment buffer = memory.asSlice(HEADROOM);
        Region[] old = regions;
        Region[] grown = Arrays.copyOf(old, old.length + 1);
        grown[old.length] = new Region(buffer.address(), buffer.byteSize(), memory,
                memory.asSlice(HEADROOM - Frame.LENGTH).asByteBuffer());
        regions = grown;
        return buffer;
    }

    /** Sends one WRITE frame; arguments are checked by the caller. */
    void write(int peerSlot, MemorySegment source, long offset, int length, int immediate) throws IOException {
        framesSent++;
        frame.put(Frame.WRITE, length, peerSlot, immediate, 0);
        if (length <= STAGED_PAYLOAD_MAX) {
            MemorySegment.copy(source, offset, staging, Frame.LENGTH, length);
            stagingView.limit(Frame.LENGTH + length).position(0);
            sendFully(stagingView);
        } else {
            ByteBuffer payload = sendView(source, offset, length);
            if (headroomMemory != null) {
                // The payload starts its region: header and payload leave in one write(2).
                MemorySegment.copy(staging, 0, headroomMemory, headroomOffset, Frame.LENGTH);
                payload.position(payload.position() - Frame.LENGTH);
                headroomMemory = null;
            } else {
                header.clear();
                sendFully(header);
            }
            sendFully(payload);
        }
    }

    /** Sends a header-only frame, waiting for room in the socket. */
    void control(byte type, int index, long value) throws IOException {
        frame.put(type, 0, index, 0, value);
        header.clear();
        sendFully(header);
    }

    /** Tries to send a header-only frame with one non-blocking write (CLOSE, ERROR: best effort). */
    void controlOnce(byte type, int index) throws IOException {
        frame.put(type, 0, index, 0, 0);
        header.clear();
        channel.write(header);
    }

    /** Frames sent so far; safe to call from any thread (an opaque read). */
    long framesSent() {
        return (long) FRAMES_SENT.getOpaque(this);
    }

    /** Whether a heartbeat went out only in part; the send guard is then still held for it. */
    boolean heartbeatUnfinished() {
        return heartbeatUnfinished;
    }

    /**
     * Sends (or goes on sending) a HEARTBEAT with one non-blocking write.
     *
     * @return whether the send guard may be released: {@code false} while the socket took the
     *     frame only in part, so no other frame may interleave with it
     */
    boolean heartbeat() throws IOException {
        if (!heartbeatUnfinished) {
            heartbeat.clear();
        }
        try {
            channel.write(heartbeat);
        } catch (IOException e) {
            heartbeatUnfinished = false;
            throw e;
        }
        if (!heartbeat.hasRemaining()) {
            framesSent++;
        } else if (heartbeat.position() > 0) {
            heartbeatUnfinished = true;
            return false;
        }
        heartbeatUnfinished = false;
        return true;
    }

    /** Forgets a half-sent heartbeat (the connection is gone). */
    void abandonHeartbeat() {
        heartbeatUnfinished = false;
    }

    /** Closes the selector used to wait for room; after the connection closed. */
    void closeSelector() throws IOException {
        if (writeSelector != null) {
            writeSelector.close();
        }
    }

    /** Writes all of {@code buf}, waiting for room in the socket. */
    private void sendFully(ByteBuffer buf) throws IOException {
        while (true) {
            channel.write(buf);
            if (!buf.hasRemaining()) {
                return;
            }
            stall.whileStalled();
            if (writeSelector == null) {
                writeSelector = Selector.open();
                channel.register(writeSelector, SelectionKey.OP_WRITE);
            }
            writeSelector.select(Selectors.IGNORE_KEY, 10);
        }
    }

    /**
     * Returns a view of registered memory covering {@code [offset, offset + length)} of
     * {@code source}. Registered memory (receive slots, registered buffers) has a preallocated
     * view; anything else gets a fresh one (allocates, still correct). When the payload starts
     * its region, sets {@link #headroomMemory} and {@link #headroomOffset} to the header's place
     * in front of it, which the view also covers.
     */
    private ByteBuffer sendView(MemorySegment source, long offset, int length) {
        long address = source.address() + offset;
        long rel = address - receiveBase - HEADROOM;
        if (source.isNative() && rel >= 0 && rel < receiveMemory.byteSize()) {
            int slot = (int) (rel / slotStride);
            long inSlot = rel - slot * slotStride;
            if (inSlot + length <= local.slotSize()) {
                ByteBuffer v = sendSlotViews[slot];
                v.limit(Frame.LENGTH + (int) inSlot + length).position(Frame.LENGTH + (int) inSlot);
                if (inSlot < HEADROOM_IN_SLOT) {
                    // The header goes right in front of the payload: in the slot's headroom, and
                    // over the slot's first inSlot bytes (Connection.write allows it).
                    headroomMemory = receiveMemory;
                    headroomOffset = rel + HEADROOM - Frame.LENGTH;
                }
                return v;
            }
        }
        if (source.isNative()) {
            for (Region r : regions) {
                long in = address - r.base;
                if (in >= 0 && in + length <= r.size) {
                    ByteBuffer v = r.view;
                    v.limit(Frame.LENGTH + (int) in + length).position(Frame.LENGTH + (int) in);
                    if (in == 0) {
                        headroomMemory = r.memory;
                        headroomOffset = HEADROOM - Frame.LENGTH;
                    }
                    return v;
                }
            }
        }
        return source.asSlice(offset, length).asByteBuffer();
    }
}
