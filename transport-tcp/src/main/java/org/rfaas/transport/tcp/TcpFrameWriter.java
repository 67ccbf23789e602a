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
 * through a view preallocated per receive slot and per {@code allocateBuffer} region. Nothing is
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

    /** A buffer from {@code allocateBuffer} and the view used to write from it. */
    private record Region(long base, long size, ByteBuffer view) {
    }

    private final SocketChannel channel;
    private final Stall stall;
    private final ConnectionSpec local;
    private final MemorySegment receiveMemory;
    private final long receiveBase;
    private final ByteBuffer[] sendSlotViews;
    private volatile Region[] regions = new Region[0];
    private final Frame frame = new Frame();
    private final MemorySegment staging;
    private final ByteBuffer header;
    private final ByteBuffer stagingView;
    private Selector writeSelector;
    /** Frames sent so far (WRITEs and heartbeats); {@link TcpLiveness} samples it. */
    private long framesSent;
    /** The heartbeat frame, written only by the liveness timer. */
    private final ByteBuffer heartbeat;
    private boolean heartbeatUnfinished;

    TcpFrameWriter(SocketChannel channel, Stall stall, ConnectionSpec local, MemorySegment receiveMemory,
            MemorySegment[] slotSegments, Arena arena) {
        this.channel = channel;
        this.stall = stall;
        this.local = local;
        this.receiveMemory = receiveMemory;
        this.receiveBase = receiveMemory.address();
        sendSlotViews = new ByteBuffer[slotSegments.length];
        for (int s = 0; s < slotSegments.length; s++) {
            sendSlotViews[s] = slotSegments[s].asByteBuffer();
        }
        staging = arena.allocate(Frame.LENGTH + STAGED_PAYLOAD_MAX, 64);
        frame.wrap(staging.asSlice(0, Frame.LENGTH));
        header = staging.asSlice(0, Frame.LENGTH).asByteBuffer();
        stagingView = staging.asByteBuffer();
        MemorySegment hb = arena.allocate(Frame.LENGTH, 8);
        new Frame().wrap(hb).put(Frame.HEARTBEAT, 0, 0, 0, 0);
        heartbeat = hb.asByteBuffer();
    }

    /** Makes {@code segment} (from {@code allocateBuffer}) a source that is written without a copy. */
    synchronized void register(MemorySegment segment) {
        Region[] old = regions;
        Region[] grown = Arrays.copyOf(old, old.length + 1);
        grown[old.length] = new Region(segment.address(), segment.byteSize(), segment.asByteBuffer());
        regions = grown;
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
            header.clear();
            sendFully(header);
            sendFully(sendView(source, offset, length));
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
     * view; anything else gets a fresh one (allocates, still correct).
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
}
