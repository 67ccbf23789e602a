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
    private static final VarHandle BYTES_RECEIVED;

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
    private final MemorySegment[] slotSegments;
    private final ByteBuffer[] receiveViews;
    private final Frame frame = new Frame();
    private final MemorySegment stage;
    private final ByteBuffer stageView;
    private int position;
    private int limit;
    private int state = RX_HEADER;
    private ByteBuffer payload;
    private int slot;
    private int length;
    private int immediate;
    /** Bytes read so far: a plain counter bumped by each read; {@link TcpLiveness} samples it. */
    private long bytesReceived;

    TcpFrameReader(SocketChannel channel, ConnectionSpec local, String peerDescription, MemorySegment[] slotSegments,
            Arena arena) {
        this.channel = channel;
        this.local = local;
        this.peerDescription = peerDescription;
        this.slotSegments = slotSegments;
        receiveViews = new ByteBuffer[slotSegments.length];
        for (int s = 0; s < slotSegments.length; s++) {
            receiveViews[s] = slotSegments[s].asByteBuffer();
        }
        stage = arena.allocate(RX_STAGE, 64);
        stageView = stage.asByteBuffer();
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
        if (state == RX_HEADER) {
            if (limit - position < Frame.LENGTH && !fillStage()) {
                return NOTHING;
            }
            frame.wrap(stage, position);
            byte type = frame.validate(local, peerDescription);
            position += Frame.LENGTH;
            if (type != Frame.WRITE) {
                return CONTROL;
            }
            slot = frame.index();
            length = frame.length();
            immediate = frame.immediate();
            int staged = Math.min(limit - position, length);
            if (staged > 0) {
                MemorySegment.copy(stage, position, slotSegments[slot], 0, staged);
                position += staged;
            }
            if (staged == length) {
                return DELIVERED;
            }
            // The stage is empty now: the rest goes straight into the slot.
            ByteBuffer view = receiveViews[slot];
            view.limit(length).position(staged);
            payload = view;
            state = RX_PAYLOAD;
        }
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
        return DELIVERED;
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
