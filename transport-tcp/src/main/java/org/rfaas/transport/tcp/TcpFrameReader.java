package org.rfaas.transport.tcp;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.TransportException;

/**
 * The receiving half of a {@link TcpConnection}'s byte stream: reads into a stage, validates each
 * {@link Frame} header against this side's spec before any payload byte is read, and lands WRITE
 * payloads in their receive slots. One {@code read(2)} pulls up to {@link #RX_STAGE} bytes, so a
 * header and a small payload (or several small frames) cost one system call; the staged payload
 * bytes are copied into the slot and the rest of a larger payload is read straight into the slot.
 * Partial headers and payloads keep their state across calls. Control frames are handed back to
 * the connection. Touched only by the holder of the connection's receive guard; allocation-free.
 *
 * <h2>Large frames in one read</h2>
 * A large frame read as stage then slot costs two {@code read(2)}s, and the first one, taking a
 * piece of the segment, costs the receiver more than the copy it saves (a second pass through
 * the socket's receive path). So when the frames so far went to a predictable slot (the same one
 * each time, or the next one round-robin) with payloads larger than the stage, and that slot is
 * released, the reader reads the next header and payload together into the slot's
 * {@link TcpFrameWriter#HEADROOM} and the slot itself: a frame for that slot lands in place with
 * one {@code read(2)} and no copy. The header is validated as always before anything is handed
 * over. A frame for another slot, a control frame, or bytes of the frames after it found there
 * are moved to where the stage path would have put them (one copy, as staging costs), and a
 * miss makes the reader stop predicting until the pattern holds again. A released slot is the
 * transport's to write, so a wrong guess overwrites nothing a caller still reads.
 */
final class TcpFrameReader {
    /** {@link #next}: no whole frame yet. */
    static final int NOTHING = 0;
    /** {@link #next}: a WRITE landed; see {@link #slot}, {@link #length}, {@link #immediate}. */
    static final int DELIVERED = 1;
    /** {@link #next}: a validated control frame is in {@link #frame}. */
    static final int CONTROL = 2;
    /**
     * Bytes one {@code read(2)} may pull into the receive stage: a header plus a small payload, or
     * several small frames, arrive with one system call.
     */
    static final int RX_STAGE = Frame.LENGTH + (8 << 10);

    private static final int RX_HEADER = 0;
    private static final int RX_PAYLOAD = 1;
    /** Frames that must have followed the pattern before the reader reads into a predicted slot. */
    private static final int CONFIDENT = 2;
    private static final VarHandle BYTES_RECEIVED;
    private static final VarHandle HELD = MethodHandles.arrayElementVarHandle(int[].class);

    static {
        try {
            BYTES_RECEIVED = MethodHandles.lookup().findVarHandle(TcpFrameReader.class, "bytesReceived", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final SocketChannel channel;
    private final ConnectionSpec local;
    private final String peerDescription;
    private final Arena arena;
    private final MemorySegment[] slotSegments;
    private final ByteBuffer[] receiveViews;
    /** Per slot: the header's place in front of it and the slot, as one region to read into. */
    private final MemorySegment[] landings;
    private final ByteBuffer[] landingViews;
    /** Per slot: 1 from delivery until {@link #release}; a held slot is never read into ahead. */
    private final int[] held;
    private final Frame frame = new Frame();
    /** {@link #RX_STAGE} bytes to read into; grown once to a slot's size if a read ahead spills more. */
    private MemorySegment stage;
    private ByteBuffer stageView;
    // Slot prediction: the last WRITE's slot and length, the step between the last two slots, and
    // how many frames in a row followed that step. Slot 0 stands in for the WRITE before the first
    // (a wrong guess costs one frame's confidence): a "no WRITE yet" branch would be taken once per
    // connection, so the JIT compiled it out and a lease's new connection deoptimized the reader.
    private int lastSlot;
    private int lastLength;
    private int step;
    private int confidence;
    /** WRITEs that landed in place from a read ahead (for tests). */
    private long landedInPlace;
    private int position;
    private int limit;
    private int state = RX_HEADER;
    private ByteBuffer payload;
    private int slot;
    private int length;
    private int immediate;
    /** Bytes read so far: a plain counter bumped by each read; {@link TcpLiveness} samples it. */
    private long bytesReceived;

    /**
     * @param landings per receive slot, {@link Frame#LENGTH} bytes in front of the slot followed by
     *     the slot ({@code Frame.LENGTH + local.slotSize()} bytes); the slot is the part after the
     *     first {@code Frame.LENGTH} bytes
     */
    TcpFrameReader(SocketChannel channel, ConnectionSpec local, String peerDescription, MemorySegment[] landings,
            Arena arena) {
        this.channel = channel;
        this.local = local;
        this.peerDescription = peerDescription;
        this.arena = arena;
        this.landings = landings;
        int slots = landings.length;
        slotSegments = new MemorySegment[slots];
        receiveViews = new ByteBuffer[slots];
        landingViews = new ByteBuffer[slots];
        held = new int[slots];
        for (int s = 0; s < slots; s++) {
            slotSegments[s] = landings[s].asSlice(Frame.LENGTH, local.slotSize());
            receiveViews[s] = slotSegments[s].asByteBuffer();
            landingViews[s] = landings[s].asByteBuffer();
        }
        stage = arena.allocate(RX_STAGE, 64);
        stageView = stage.asByteBuffer();
    }

    /** Receive slot {@code s} (its memory after the header's place). */
    MemorySegment slotSegment(int s) {
        return slotSegments[s];
    }

    /** The caller is done with slot {@code s}: it may be read into again. Any thread. */
    void release(int s) {
        HELD.setRelease(held, s, 0);
    }

    /** How many WRITEs a read ahead landed in their slot without a copy (receive-guard holder only). */
    long landedInPlace() {
        return landedInPlace;
    }

    /** The slot of the last DELIVERED WRITE. */
    int slot() {
        return slot;
    }

    /** The payload length of the last DELIVERED WRITE. */
    int length() {
        return length;
    }

    /** The immediate of the last DELIVERED WRITE. */
    int immediate() {
        return immediate;
    }

    /** The last CONTROL frame, valid until the next call of {@link #next}. */
    Frame frame() {
        return frame;
    }

    /** Bytes received so far; safe to call from any thread (an opaque read). */
    long bytesReceived() {
        return (long) BYTES_RECEIVED.getOpaque(this);
    }

    /**
     * Advances the parser by at most one frame.
     *
     * @return {@link #NOTHING}, {@link #DELIVERED} or {@link #CONTROL}
     * @throws ProtocolException for a malformed header or a truncated stream
     * @throws PeerFailedException at end of stream between frames
     * @throws IOException when the socket fails
     */
    int next() throws IOException {
        if (state == RX_PAYLOAD) {
            return readPayload();
        }
        if (position == limit && confidence >= CONFIDENT) {
            int predicted = predictedSlot();
            if ((int) HELD.getAcquire(held, predicted) == 0) {
                int r = readAhead(predicted);
                if (r != SPILLED) {
                    return r;
                }
            }
        }
        if (limit - position < Frame.LENGTH && !fillStage()) {
            return NOTHING;
        }
        frame.wrap(stage, position);
        byte type = frame.validate(local, peerDescription);
        position += Frame.LENGTH;
        if (type != Frame.WRITE) {
            return CONTROL;
        }
        took(frame.index(), frame.length(), frame.immediate());
        int staged = Math.min(limit - position, length);
        if (staged > 0) {
            MemorySegment.copy(stage, position, slotSegments[slot], 0, staged);
            position += staged;
        }
        return payloadArrived(staged);
    }

    /**
     * The first {@code got} payload bytes of the current WRITE are in its slot: delivers it, or
     * reads the rest straight into the slot (the stage is empty then).
     */
    private int payloadArrived(int got) throws IOException {
        if (got == length) {
            return deliver();
        }
        ByteBuffer view = receiveViews[slot];
        view.limit(length).position(got);
        payload = view;
        state = RX_PAYLOAD;
        return readPayload();
    }

    private int readPayload() throws IOException {
        // Read on while the socket gives more: the sender of a large payload refills the socket
        // buffer while we copy, and one empty read(2) costs less than leaving the rest for a poll
        // that may come much later (a caller that polls between pieces of its own work).
        while (read(payload) > 0 && payload.hasRemaining()) {
            // the loop's condition does the work
        }
        if (payload.hasRemaining()) {
            return NOTHING;
        }
        state = RX_HEADER;
        return deliver();
    }

    /** {@link #readAhead}: the bytes went to the stage; parse them from there. */
    private static final int SPILLED = -1;

    /** The slot the next WRITE is expected in. */
    private int predictedSlot() {
        int p = lastSlot + step;
        int slots = slotSegments.length;
        return p >= slots ? p - slots : p;
    }

    /**
     * Reads the next header and up to the last WRITE's length of payload straight into slot
     * {@code predicted} (released) and its header place. Returns NOTHING when nothing arrived,
     * DELIVERED or NOTHING (the rest comes into the slot) when the frame is a WRITE into that
     * slot, else SPILLED after moving what was read where the stage path puts it.
     */
    private int readAhead(int predicted) throws IOException {
        ByteBuffer view = landingViews[predicted];
        view.limit(Frame.LENGTH + lastLength).position(0);
        int n = read(view);
        if (n == 0) {
            return NOTHING;
        }
        MemorySegment landing = landings[predicted];
        if (n >= Frame.LENGTH) {
            frame.wrap(landing, 0);
            if (frame.validate(local, peerDescription) == Frame.WRITE) {
                took(frame.index(), frame.length(), frame.immediate());
                int got = Math.min(n - Frame.LENGTH, length);
                if (slot != predicted) {
                    // A wrong guess: the payload's bytes go to their slot, as from the stage.
                    MemorySegment.copy(landing, Frame.LENGTH, slotSegments[slot], 0, got);
                } else {
                    landedInPlace++;
                }
                spill(landing, Frame.LENGTH + got, n - Frame.LENGTH - got);
                return payloadArrived(got);
            }
        }
        confidence = 0;
        spill(landing, 0, n);
        return SPILLED;
    }

    /** Records a validated WRITE header and learns the slot pattern from it. */
    private void took(int writeSlot, int writeLength, int writeImmediate) {
        slot = writeSlot;
        length = writeLength;
        immediate = writeImmediate;
        int slots = slotSegments.length;
        int d = writeSlot - lastSlot;
        int seen = d < 0 ? d + slots : d;
        if (seen == step) {
            if (confidence < CONFIDENT) {
                confidence++;
            }
        } else {
            step = seen;
            confidence = 0;
        }
        lastSlot = writeSlot;
        lastLength = writeLength;
        if (writeLength <= RX_STAGE - Frame.LENGTH) {
            confidence = 0; // small frames cost one read through the stage anyway
        }
    }

    /** Marks the delivered slot held until the caller releases it. */
    private int deliver() {
        HELD.setRelease(held, slot, 1);
        return DELIVERED;
    }

    /**
     * Puts {@code count} bytes read ahead (the frames after the one read, or all of them) into
     * the empty stage. If they do not fit, the stage grows to the most a read ahead can bring (a
     * header and a slot's payload): once per connection at most, for a pattern that changed while
     * large frames were queued.
     */
    private void spill(MemorySegment from, long offset, int count) {
        position = 0;
        limit = count;
        if (count == 0) {
            return;
        }
        if (count > stage.byteSize()) {
            stage = arena.allocate(Frame.LENGTH + (long) local.slotSize(), 64);
            stageView = stage.asByteBuffer();
        }
        MemorySegment.copy(from, offset, stage, 0, count);
    }

    /**
     * Moves a partial header to the front of the stage and reads as much as the socket has.
     * Returns whether a whole header is staged now.
     */
    private boolean fillStage() throws IOException {
        int staged = limit - position;
        if (position > 0) {
            if (staged > 0) {
                MemorySegment.copy(stage, position, stage, 0, staged); // fewer than 32 bytes
            }
            position = 0;
            limit = staged;
        }
        stageView.limit(RX_STAGE).position(limit);
        read(stageView);
        limit = stageView.position();
        return limit - position >= Frame.LENGTH;
    }

    private int read(ByteBuffer buf) throws IOException {
        int n = channel.read(buf);
        if (n < 0) {
            throw endOfStream();
        }
        bytesReceived += n;
        return n;
    }

    private TransportException endOfStream() {
        int staged = limit - position;
        if (state == RX_HEADER && staged == 0) {
            return new PeerFailedException("peer " + peerDescription
                    + " closed the connection without a CLOSE frame: its process exited or was killed");
        }
        if (state == RX_HEADER) {
            return new ProtocolException(ProtocolError.TRUNCATED, "stream from " + peerDescription + " ended after "
                    + staged + " of " + Frame.LENGTH + " frame header bytes");
        }
        return new ProtocolException(ProtocolError.TRUNCATED, "stream from " + peerDescription + " ended after "
                + payload.position() + " of " + length + " payload bytes of a WRITE into slot " + slot);
    }
}
