package org.rfaas.transport.shm;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Wire;
import org.rfaas.transport.WireHeader;

/**
 * A handshake message on the Unix-domain rendezvous socket of an shm connection. Every message is
 * a 32-byte fixed part followed by {@code length - 32} bytes of UTF-8 text:
 *
 * <pre>
 *  0       2     3      4          8         12         16         20     24            32
 *  +-------+-----+------+----------+---------+----------+----------+------+-------------+-----------+
 *  | magic | ver | type | length   | slots   | slotSize | counters | code | mappingSize | text ...  |
 *  | u16   | u8  | u8   | i32      | i32     | i32      | i32      | i32  | i64         | UTF-8     |
 *  +-------+-----+------+----------+---------+----------+----------+------+-------------+-----------+
 * </pre>
 *
 * <ol>
 *   <li>{@link #HELLO} connector to listener: the connector's spec. No code, size or text.</li>
 *   <li>{@link #WELCOME} listener to connector: the listener's spec, the size of the shared file and
 *       its path as text.</li>
 *   <li>{@link #COUNTERS} listener to connector, right after WELCOME and only when WELCOME's
 *       {@code code} (its flags there) has {@link #FLAG_SHARED_COUNTERS}: the listener's shared
 *       counters file ({@code CounterScope.LISTENER}). {@code counters} repeats the listener's
 *       counter count, {@code mappingSize} is the file size, the text its path; slots, slotSize and
 *       code are zero. The connector maps it but does not unlink it: the listener owns it.</li>
 *   <li>{@link #MAPPED} connector to listener: the file is mapped; the listener unlinks it. All
 *       fields zero.</li>
 * </ol>
 *
 * Either side may answer with {@link #REJECT} instead: {@code code} is a {@link ProtocolError}
 * code and the text says why. After {@link #MAPPED} the socket carries no more bytes; it stays open
 * as the liveness channel.
 */
final class ShmHandshake {
    static final int HELLO = 1;
    static final int WELCOME = 2;
    static final int MAPPED = 3;
    static final int REJECT = 4;
    static final int COUNTERS = 5;

    /** WELCOME flag: a {@link #COUNTERS} message follows. The only flag; any other bit is rejected. */
    static final int FLAG_SHARED_COUNTERS = 1;

    static final int FIXED = 32;
    /** Longest text: a file path or a rejection reason. */
    static final int MAX_TEXT = 1024;

    private static final int SLOTS = 8;
    private static final int SLOT_SIZE = 12;
    private static final int COUNTERS_FIELD = 16;
    private static final int CODE = 20;
    private static final int MAPPING_SIZE = 24;

    /**
     * A decoded, validated message. {@code spec} is null for MAPPED, REJECT and COUNTERS;
     * {@code counters} is the shared counter count of a COUNTERS message and 0 otherwise.
     */
    record Message(int type, ConnectionSpec spec, int code, long mappingSize, String text, int counters) {
        Message(int type, ConnectionSpec spec, int code, long mappingSize, String text) {
            this(type, spec, code, mappingSize, text, 0);
        }
    }

    private ShmHandshake() {
    }

    static ByteBuffer hello(ConnectionSpec spec) {
        return encode(HELLO, spec, 0, 0, "");
    }

    static ByteBuffer welcome(ConnectionSpec spec, long mappingSize, String path) {
        return welcome(spec, mappingSize, path, 0);
    }

    static ByteBuffer welcome(ConnectionSpec spec, long mappingSize, String path, int flags) {
        return encode(WELCOME, spec, flags, mappingSize, path);
    }

    static ByteBuffer counters(int counters, long fileSize, String path) {
        ByteBuffer buf = encode(COUNTERS, null, 0, fileSize, path);
        buf.putInt(COUNTERS_FIELD, counters);
        return buf;
    }

    static ByteBuffer mapped() {
        return encode(MAPPED, null, 0, 0, "");
    }

    static ByteBuffer reject(ProtocolError error, String why) {
        byte[] b = why.getBytes(StandardCharsets.UTF_8);
        String text = b.length <= MAX_TEXT ? why : new String(b, 0, MAX_TEXT, StandardCharsets.UTF_8);
        while (text.getBytes(StandardCharsets.UTF_8).length > MAX_TEXT) {
            text = text.substring(0, text.length() - 1);
        }
        return encode(REJECT, null, error.code(), 0, text);
    }

    private static ByteBuffer encode(int type, ConnectionSpec spec, int code, long mappingSize, String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        if (t.length > MAX_TEXT) {
            throw new IllegalArgumentException("handshake text longer than " + MAX_TEXT + " bytes: " + text);
        }
        // Native memory, as every other message of ours: a heap segment here made the JIT's
        // compiled memory accessors, profiled on native memory only, deoptimise at a lease's
        // first handshake (uncommon traps on the array base), on the lease's core.
        ByteBuffer buf = ByteBuffer.allocateDirect(FIXED + t.length).order(ByteOrder.LITTLE_ENDIAN);
        MemorySegment m = MemorySegment.ofBuffer(buf);
        WireHeader.put(m, 0, ShmLayout.VERSION, (byte) type, FIXED + t.length);
        if (spec != null) {
            m.set(Wire.INT, SLOTS, spec.slots());
            m.set(Wire.INT, SLOT_SIZE, spec.slotSize());
            m.set(Wire.INT, COUNTERS_FIELD, spec.counters());
        }
        m.set(Wire.INT, CODE, code);
        m.set(Wire.LONG, MAPPING_SIZE, mappingSize);
        buf.position(FIXED).put(t).flip();
        return buf;
    }

    /** Sends a whole message on a non-blocking channel before {@code deadline} ({@link System#nanoTime}). */
    static void send(SocketChannel ch, ByteBuffer msg, long deadline) throws IOException {
        // A few hundred bytes into a socket buffer: nearly always written at once, without the
        // selector's file descriptors (opened and closed per message otherwise).
        ch.write(msg);
        if (!msg.hasRemaining()) {
            return;
        }
        try (Selector sel = Selector.open()) {
            ch.register(sel, SelectionKey.OP_WRITE);
            while (msg.hasRemaining()) {
                if (ch.write(msg) == 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new IOException("peer did not accept the handshake within the timeout");
                    }
                    sel.select(Math.max(1, left / 1_000_000));
                }
            }
        }
    }

    /**
     * Receives and validates one message on a non-blocking channel.
     *
     * @param expected the type this step of the handshake allows (REJECT is always allowed)
     * @throws ProtocolException for any malformed field, a truncated message, or a timeout
     */
    static Message receive(SocketChannel ch, int expected, long deadline) throws IOException {
        Reader reader = new Reader(expected);
        Message first = reader.poll(ch); // already there (the peer answered first): no selector
        if (first != null) {
            return first;
        }
        try (Selector sel = Selector.open()) {
            ch.register(sel, SelectionKey.OP_READ);
            while (true) {
                Message m = reader.poll(ch);
                if (m != null) {
                    return m;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new ProtocolException(ProtocolError.TRUNCATED, "shm peer sent " + reader.received()
                            + " bytes of its " + name(expected) + " before the handshake timeout");
                }
                sel.select(Math.max(1, left / 1_000_000));
                sel.selectedKeys().clear();
            }
        }
    }

    /**
     * One message arriving on a non-blocking channel, read as its bytes come: the listener keeps
     * one per unfinished handshake, so that a silent or slow peer holds up no other.
     */
    static final class Reader {
        private final int expected;
        /** Native, like the messages sent (see {@link #encode}); {@link #fixedSegment} views all of it. */
        private final ByteBuffer fixed = ByteBuffer.allocateDirect(FIXED).order(ByteOrder.LITTLE_ENDIAN);
        private final MemorySegment fixedSegment = MemorySegment.ofBuffer(fixed);
        /** The text, once the fixed part has been validated; its length comes from there. */
        private ByteBuffer text;

        Reader(int expected) {
            this.expected = expected;
        }

        /** Bytes received so far. */
        int received() {
            return fixed.position() + (text == null ? 0 : text.position());
        }

        /**
         * Reads what the channel holds; returns the validated message once whole, else null.
         *
         * @throws ProtocolException for a malformed message or a peer that closed mid-message
         */
        Message poll(SocketChannel ch) throws IOException {
            if (text == null) {
                if (read(ch, fixed) && !fixed.hasRemaining()) {
                    text = ByteBuffer.allocate(textLength(fixedSegment, expected));
                } else {
                    return null;
                }
            }
            if (text.hasRemaining() && !read(ch, text)) {
                return null;
            }
            return text.hasRemaining() ? null : decode(fixedSegment, text.array());
        }

        /** Reads into {@code buf}; false when nothing came. */
        private boolean read(SocketChannel ch, ByteBuffer buf) throws IOException {
            int n = ch.read(buf);
            if (n < 0) {
                throw new ProtocolException(ProtocolError.TRUNCATED, "shm peer closed the socket after "
                        + received() + " bytes of its " + name(expected));
            }
            return n > 0 || !buf.hasRemaining();
        }
    }

    /**
     * Validates the 32-byte fixed part of a message of the {@code expected} type (or REJECT) and
     * returns the length of the text that follows.
     *
     * @throws ProtocolException for a bad magic, version, type or length
     */
    static int textLength(MemorySegment fixed, int expected) {
        int type = WireHeader.checkPrefix(fixed, 0, ShmLayout.VERSION, "shm handshake", "");
        if (type != expected && type != REJECT) {
            throw new ProtocolException(ProtocolError.BAD_TYPE,
                    "shm handshake message type " + type + " where " + name(expected) + " was expected");
        }
        int length = WireHeader.length(fixed, 0);
        if (length < FIXED || length > FIXED + MAX_TEXT) {
            throw new ProtocolException(ProtocolError.BAD_LENGTH,
                    "shm handshake length " + length + " outside " + FIXED + ".." + (FIXED + MAX_TEXT));
        }
        return length - FIXED;
    }

    /**
     * Validates a whole message: its fixed part (already checked by {@link #textLength}) and its
     * text.
     *
     * @throws ProtocolException naming the first bad field
     */
    static Message decode(MemorySegment m, byte[] textBytes) {
        int type = WireHeader.type(m, 0);
        int slots = m.get(Wire.INT, SLOTS);
        int slotSize = m.get(Wire.INT, SLOT_SIZE);
        int counters = m.get(Wire.INT, COUNTERS_FIELD);
        int code = m.get(Wire.INT, CODE);
        long mappingSize = m.get(Wire.LONG, MAPPING_SIZE);
        String text = new String(textBytes, StandardCharsets.UTF_8);
        switch (type) {
            case HELLO, WELCOME -> {
                ConnectionSpec spec = ConnectionSpec.fromWire(slots, slotSize, counters);
                if (type == HELLO) {
                    requireZero(code, mappingSize, text, "HELLO");
                } else {
                    if ((code & ~FLAG_SHARED_COUNTERS) != 0) {
                        throw new ProtocolException(ProtocolError.BAD_FIELD, "shm WELCOME carries unknown flags 0x"
                                + Integer.toHexString(code));
                    }
                    if (code == FLAG_SHARED_COUNTERS && spec.counters() == 0) {
                        throw new ProtocolException(ProtocolError.BAD_FIELD,
                                "shm WELCOME announces shared counters but a spec without counters");
                    }
                    if (mappingSize <= 0 || text.isEmpty()) {
                        throw new ProtocolException(ProtocolError.BAD_FIELD, "shm WELCOME names no mapping (size "
                                + mappingSize + ", path '" + text + "')");
                    }
                }
                return new Message(type, spec, code, mappingSize, text);
            }
            case MAPPED -> {
                if (slots != 0 || slotSize != 0 || counters != 0) {
                    throw new ProtocolException(ProtocolError.BAD_FIELD, "shm MAPPED carries a spec");
                }
                requireZero(code, mappingSize, text, "MAPPED");
                return new Message(type, null, 0, 0, "");
            }
            case COUNTERS -> {
                if (slots != 0 || slotSize != 0 || code != 0) {
                    throw new ProtocolException(ProtocolError.BAD_FIELD, "shm COUNTERS carries fields it must "
                            + "leave zero (slots " + slots + ", slotSize " + slotSize + ", code " + code + ")");
                }
                if (counters < 1 || counters > ConnectionSpec.MAX_COUNTERS) {
                    throw new ProtocolException(ProtocolError.BAD_FIELD, "shm COUNTERS announces " + counters
                            + " counters, outside 1.." + ConnectionSpec.MAX_COUNTERS);
                }
                if (mappingSize <= 0 || text.isEmpty()) {
                    throw new ProtocolException(ProtocolError.BAD_FIELD, "shm COUNTERS names no file (size "
                            + mappingSize + ", path '" + text + "')");
                }
                return new Message(type, null, 0, mappingSize, text, counters);
            }
            default -> {
                return new Message(REJECT, null, code, 0, text);
            }
        }
    }

    private static void requireZero(int code, long mappingSize, String text, String what) {
        if (code != 0 || mappingSize != 0 || !text.isEmpty()) {
            throw new ProtocolException(ProtocolError.BAD_FIELD, "shm " + what + " carries fields it must leave "
                    + "zero (code " + code + ", mappingSize " + mappingSize + ", " + text.length() + " text chars)");
        }
    }

    static String name(int type) {
        return switch (type) {
            case HELLO -> "HELLO";
            case WELCOME -> "WELCOME";
            case MAPPED -> "MAPPED";
            case REJECT -> "REJECT";
            case COUNTERS -> "COUNTERS";
            default -> "type " + type;
        };
    }
}
