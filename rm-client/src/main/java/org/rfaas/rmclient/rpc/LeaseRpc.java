package org.rfaas.rmclient.rpc;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The lease protocol's wire format: the resource manager's binary lease endpoint for clients that
 * lease at a high rate (the MPI ranks of a large job), beside its HTTP API. One TCP connection per
 * client, request and answer in turn; each message one frame:
 *
 * <pre>
 *   u32 length (of what follows, 1..{@link #MAX_FRAME}) | u8 type | fields
 * </pre>
 *
 * Integers are big-endian; a string is a u16 byte count and that many bytes of UTF-8. Messages:
 *
 * <pre>
 *   HELLO    u16 version, str credential (tenant API key or admin token), str tenant
 *   WELCOME  str tenant                                        (answer to HELLO)
 *   GRANT    i32 cores, i64 memoryMiB, i64 durationMillis, str placement, str requestId  ("" = none)
 *   GRANTED  i64 leaseId, str tenant, str node, str nodeAddress, i32 nodePort, str transport,
 *            i32 cores, i64 memoryMiB, i64 expiresAtEpochMillis, str token
 *   RELEASE  i64 leaseId, str token                            (token "" with an admin HELLO)
 *   RELEASED i64 leaseId, str state
 *   ERROR    u16 status, str code, str message                 (as the HTTP API's ApiError)
 * </pre>
 *
 * Every frame is checked whole: its length, type, each string's bounds and UTF-8, and nothing
 * left over; a peer that breaks a rule gets no answer but a closed connection.
 */
public final class LeaseRpc {
    /** Protocol version a HELLO carries. */
    public static final int VERSION = 1;
    /** Largest frame either side sends or accepts (a lease token is a few hundred bytes). */
    public static final int MAX_FRAME = 8 * 1024;
    /** Longest string field, in bytes. */
    public static final int MAX_STRING = 2 * 1024;

    public static final byte HELLO = 1;
    public static final byte WELCOME = 2;
    public static final byte GRANT = 3;
    public static final byte GRANTED = 4;
    public static final byte RELEASE = 5;
    public static final byte RELEASED = 6;
    public static final byte ERROR = 7;

    private LeaseRpc() {
    }

    /** A client's HELLO. */
    public record Hello(int version, String credential, String tenant) {
        public static Hello read(Reader in) throws MalformedFrameException {
            Hello h = new Hello(in.u16(), in.str(), in.str());
            in.end();
            return h;
        }

        public Writer write(Writer out) {
            return out.begin(HELLO).u16(version).str(credential).str(tenant);
        }
    }

    /** A GRANT request; placement and request id null when absent. */
    public record Grant(int cores, long memoryMiB, long durationMillis, String placement, String requestId) {
        public static Grant read(Reader in) throws MalformedFrameException {
            Grant g = new Grant(in.i32(), in.i64(), in.i64(), in.optionalStr(), in.optionalStr());
            in.end();
            return g;
        }

        public Writer write(Writer out) {
            return out.begin(GRANT).i32(cores).i64(memoryMiB).i64(durationMillis).str(placement).str(requestId);
        }
    }

    /** A RELEASE request (token "" when the HELLO was the admin's). */
    public record Release(long leaseId, String token) {
        public static Release read(Reader in) throws MalformedFrameException {
            Release r = new Release(in.i64(), in.str());
            in.end();
            return r;
        }

        public Writer write(Writer out) {
            return out.begin(RELEASE).i64(leaseId).str(token);
        }
    }

    /** The answer to a RELEASE: the lease's state afterwards. */
    public record Released(long leaseId, String state) {
        public static Released read(Reader in) throws MalformedFrameException {
            Released r = new Released(in.i64(), in.str());
            in.end();
            return r;
        }

        public Writer write(Writer out) {
            return out.begin(RELEASED).i64(leaseId).str(state);
        }
    }

    /** An ERROR answer, as the HTTP API's {@link org.rfaas.rmclient.ApiError}. */
    public record ErrorAnswer(int status, String code, String message) {
        public static ErrorAnswer read(Reader in) throws MalformedFrameException {
            ErrorAnswer e = new ErrorAnswer(in.u16(), in.str(), in.str());
            in.end();
            return e;
        }

        public Writer write(Writer out) {
            // at most 600 characters: even at 3 UTF-8 bytes each they fit a string field
            String m = message == null ? "" : message;
            return out.begin(ERROR).u16(status).str(code).str(m.length() > 600 ? m.substring(0, 600) + "..." : m);
        }
    }

    /** The WELCOME answer's tenant. */
    public static String readWelcome(Reader in) throws MalformedFrameException {
        String tenant = in.str();
        in.end();
        return tenant;
    }

    /** The GRANTED answer. */
    public static org.rfaas.rmclient.LeaseGrant readGranted(Reader in) throws MalformedFrameException {
        var g = new org.rfaas.rmclient.LeaseGrant(in.i64(), in.str(), in.str(), in.str(), in.i32(), in.str(), in.i32(),
                in.i64(), in.i64(), in.str());
        in.end();
        return g;
    }

    /** Writes a GRANTED answer. */
    public static Writer writeGranted(Writer out, org.rfaas.rmclient.LeaseGrant g) {
        return out.begin(GRANTED).i64(g.leaseId()).str(g.tenant()).str(g.node()).str(g.nodeAddress()).i32(g.nodePort())
                .str(g.transport()).i32(g.cores()).i64(g.memoryMiB()).i64(g.expiresAtEpochMillis()).str(g.token());
    }

    /** A frame that breaks the format. */
    public static final class MalformedFrameException extends IOException {
        private static final long serialVersionUID = 1L;

        public MalformedFrameException(String message) {
            super(message);
        }
    }

    /** Writes one frame at a time into a buffer of its own, then to a channel. */
    public static final class Writer {
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(4 + MAX_FRAME);

        /** Starts a frame of {@code type}. */
        public Writer begin(byte type) {
            buffer.clear();
            buffer.putInt(0);
            buffer.put(type);
            return this;
        }

        public Writer u16(int v) {
            buffer.putShort((short) v);
            return this;
        }

        public Writer i32(int v) {
            buffer.putInt(v);
            return this;
        }

        public Writer i64(long v) {
            buffer.putLong(v);
            return this;
        }

        /** A string; null is written as "". */
        public Writer str(String s) {
            byte[] b = s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
            if (b.length > MAX_STRING) {
                throw new IllegalArgumentException("string field of " + b.length + " bytes exceeds " + MAX_STRING);
            }
            buffer.putShort((short) b.length);
            buffer.put(b);
            return this;
        }

        /**
         * Finishes the frame and writes it to a non-blocking {@code channel} in one call; answers
         * whether it went out whole (a peer with a full socket buffer does not read its answers).
         */
        public boolean sendNow(SocketChannel channel) throws IOException {
            buffer.putInt(0, buffer.position() - 4);
            buffer.flip();
            channel.write(buffer);
            return !buffer.hasRemaining();
        }

        /** Finishes the frame and answers its bytes, length prefix included (tests, fuzzing seeds). */
        public byte[] toBytes() {
            buffer.putInt(0, buffer.position() - 4);
            byte[] bytes = new byte[buffer.position()];
            buffer.get(0, bytes);
            return bytes;
        }

        /** Finishes the frame and writes it whole to {@code channel} (blocking). */
        public void send(SocketChannel channel) throws IOException {
            buffer.putInt(0, buffer.position() - 4);
            buffer.flip();
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }
    }

    /** Reads one frame at a time from a channel and takes its fields, checking each. */
    public static final class Reader {
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(4 + MAX_FRAME);
        /** Strict: a string that is not UTF-8 is a malformed frame, not replacement characters. */
        private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        private byte type;

        /**
         * Reads the next frame whole (blocking); answers its type, or -1 when the peer closed
         * between frames.
         */
        public byte next(SocketChannel channel) throws IOException {
            buffer.clear().limit(4);
            if (!fill(channel, true)) {
                return -1;
            }
            int length = buffer.getInt(0);
            if (length < 1 || length > MAX_FRAME) {
                throw new MalformedFrameException("frame length " + length + " outside 1.." + MAX_FRAME);
            }
            buffer.clear().limit(length);
            fill(channel, false);
            buffer.flip();
            type = buffer.get();
            if (type < HELLO || type > ERROR) {
                throw new MalformedFrameException("unknown message type " + type);
            }
            return type;
        }

        /**
         * Takes the first frame out of {@code inbound} (in read mode) when it holds a whole one:
         * answers its type and leaves {@code inbound} after it; answers -1, leaving it as it was,
         * when the frame is not all there yet.
         */
        public byte take(ByteBuffer inbound) throws MalformedFrameException {
            if (inbound.remaining() < 4) {
                return -1;
            }
            int length = inbound.getInt(inbound.position());
            if (length < 1 || length > MAX_FRAME) {
                throw new MalformedFrameException("frame length " + length + " outside 1.." + MAX_FRAME);
            }
            if (inbound.remaining() < 4 + length) {
                return -1;
            }
            buffer.clear();
            buffer.put(inbound.slice(inbound.position() + 4, length)).flip();
            inbound.position(inbound.position() + 4 + length);
            type = buffer.get();
            if (type < HELLO || type > ERROR) {
                throw new MalformedFrameException("unknown message type " + type);
            }
            return type;
        }

        /** Takes a frame from {@code bytes} (its length prefix included), as {@link #next} does; for tests and fuzzing. */
        public byte parse(byte[] bytes) throws MalformedFrameException {
            if (bytes.length < 5 || bytes.length > 4 + MAX_FRAME) {
                throw new MalformedFrameException("frame of " + bytes.length + " bytes");
            }
            buffer.clear();
            buffer.put(bytes).flip();
            int length = buffer.getInt();
            if (length != bytes.length - 4) {
                throw new MalformedFrameException("frame length " + length + " for " + (bytes.length - 4) + " bytes");
            }
            type = buffer.get();
            if (type < HELLO || type > ERROR) {
                throw new MalformedFrameException("unknown message type " + type);
            }
            return type;
        }

        private boolean fill(SocketChannel channel, boolean eofAllowedAtStart) throws IOException {
            boolean first = true;
            while (buffer.hasRemaining()) {
                int n = channel.read(buffer);
                if (n < 0) {
                    if (eofAllowedAtStart && first && buffer.position() == 0) {
                        return false;
                    }
                    throw new MalformedFrameException("the peer closed the connection within a frame");
                }
                first = false;
            }
            return true;
        }

        public int u16() throws MalformedFrameException {
            try {
                return Short.toUnsignedInt(buffer.getShort());
            } catch (BufferUnderflowException e) {
                throw truncated("u16");
            }
        }

        public int i32() throws MalformedFrameException {
            try {
                return buffer.getInt();
            } catch (BufferUnderflowException e) {
                throw truncated("i32");
            }
        }

        public long i64() throws MalformedFrameException {
            try {
                return buffer.getLong();
            } catch (BufferUnderflowException e) {
                throw truncated("i64");
            }
        }

        /** A string field; "" for an empty one. */
        public String str() throws MalformedFrameException {
            int n = u16();
            if (n > MAX_STRING || n > buffer.remaining()) {
                throw new MalformedFrameException("string of " + n + " bytes in a frame with " + buffer.remaining() + " left");
            }
            if (n == 0) {
                return "";
            }
            ByteBuffer bytes = buffer.slice(buffer.position(), n);
            buffer.position(buffer.position() + n);
            try {
                return utf8.reset().decode(bytes).toString();
            } catch (CharacterCodingException e) {
                throw new MalformedFrameException("string field is not UTF-8");
            }
        }

        /** A string field, null for an empty one. */
        public String optionalStr() throws MalformedFrameException {
            String s = str();
            return s.isEmpty() ? null : s;
        }

        /** The frame was read whole: nothing may be left. */
        public void end() throws MalformedFrameException {
            if (buffer.hasRemaining()) {
                throw new MalformedFrameException(buffer.remaining() + " bytes after the last field of message type " + type);
            }
        }

        private MalformedFrameException truncated(String what) {
            return new MalformedFrameException("message type " + type + " ends before its " + what + " field");
        }
    }
}
