package org.rfaas.transport.fabric;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Wire;
import org.rfaas.transport.WireHeader;

/**
 * Flyweight over the out-of-band handshake of a fabric connection, sent once in each direction
 * over the plain TCP socket: the connector sends {@link #TYPE_HELLO}, the listener answers
 * {@link #TYPE_WELCOME}. It carries what the peer needs to reach this side's registered memory
 * with libfabric.
 *
 * <pre>
 *  0       2     3     4            8           12          16          20          24
 *  +-------+-----+-----+------------+-----------+-----------+-----------+-----------+
 *  | magic | ver | type| length     | slots     | slotSize  | counters  | flags     |
 *  +-------+-----+-----+------------+-----------+-----------+-----------+-----------+
 *  24           28        30        32                      40                      48
 *  | slotStride | nameLen | provLen | rmaBase               | rmaKey                |
 *  +------------+---------+---------+-----------------------+-----------------------+
 *  48                      56
 *  | counterOffset         | endpoint name (nameLen bytes) | provider (provLen bytes, ASCII) |
 *  +-----------------------+-------------------------------+---------------------------------+
 * </pre>
 *
 * <ul>
 *   <li>{@code length}: total bytes, header included; at most {@link #MAX_LENGTH}.
 *   <li>{@code flags}: bit 0 — this side receives with one-sided RMA (the peer must
 *       {@code fi_writedata}); clear — two-sided tagged receives are posted on every slot. Bit 1 —
 *       this side's counters accept FI_ATOMIC fetch-and-add; clear — send {@link OobFrame}
 *       requests instead. Bit 2 — this side rings a peer that announced
 *       {@link OobFrame#TYPE_WARM} after each write, so the peer may sleep without a CQ wait object (see {@code FabricConnection}, "Warm waiting"). Bit 3 —
 *       this side has a wake-up endpoint: the endpoint name is two names of equal length, the data
 *       endpoint's, then the wake-up endpoint's.
 *   <li>slot {@code i}'s data starts at {@code rmaBase + i * slotStride + }{@link #SLOT_DATA_OFFSET};
 *       the 8 bytes before it hold the length of writes too long for the CQ data field. Counter
 *       {@code j} is at {@code rmaBase + counterOffset + 8 j}. {@code rmaBase} is a virtual address
 *       with FI_MR_VIRT_ADDR and 0 otherwise; {@code rmaKey} is the memory-region key.
 *   <li>{@code endpoint name}: the {@code fi_getname} bytes for {@code fi_av_insert}.
 * </ul>
 */
final class Hello {
    static final byte TYPE_HELLO = 0x10;
    static final byte TYPE_WELCOME = 0x11;
    static final int HEADER = 56;
    static final int MAX_NAME = 1024;
    static final int MAX_PROVIDER = 128;
    static final int MAX_LENGTH = HEADER + MAX_NAME + MAX_PROVIDER;
    /** Offset of a slot's data inside its stride; the length word sits just before it. */
    static final int SLOT_DATA_OFFSET = 64;

    static final int FLAG_RMA = 1;
    static final int FLAG_NATIVE_ATOMICS = 2;
    static final int FLAG_DOORBELL = 4;
    static final int FLAG_WAKE_ENDPOINT = 8;

    private static final int SLOTS = 8;
    private static final int SLOT_SIZE = 12;
    private static final int COUNTERS = 16;
    private static final int FLAGS = 20;
    private static final int SLOT_STRIDE = 24;
    private static final int NAME_LEN = 28;
    private static final int PROV_LEN = 30;
    private static final int RMA_BASE = 32;
    private static final int RMA_KEY = 40;
    private static final int COUNTER_OFFSET = 48;

    private MemorySegment buffer;

    /** Wraps {@code buffer} (at least {@link #HEADER} bytes) for reading or writing. */
    Hello wrap(MemorySegment buffer) {
        this.buffer = buffer;
        return this;
    }

    /** Encodes a complete message into {@code out} and returns its length. */
    static int encode(byte[] out, byte type, ConnectionSpec spec, int flags, long slotStride, long rmaBase,
            long rmaKey, long counterOffset, byte[] name, String provider) {
        byte[] prov = provider.getBytes(StandardCharsets.US_ASCII);
        int length = HEADER + name.length + prov.length;
        if (name.length > MAX_NAME || prov.length > MAX_PROVIDER || length > out.length) {
            throw new IllegalArgumentException("endpoint name or provider too long for the handshake");
        }
        MemorySegment b = MemorySegment.ofArray(out);
        WireHeader.put(b, 0, Wire.VERSION, type, length);
        b.set(Wire.INT, SLOTS, spec.slots());
        b.set(Wire.INT, SLOT_SIZE, spec.slotSize());
        b.set(Wire.INT, COUNTERS, spec.counters());
        b.set(Wire.INT, FLAGS, flags);
        b.set(Wire.INT, SLOT_STRIDE, Math.toIntExact(slotStride));
        b.set(Wire.SHORT, NAME_LEN, (short) name.length);
        b.set(Wire.SHORT, PROV_LEN, (short) prov.length);
        b.set(Wire.LONG, RMA_BASE, rmaBase);
        b.set(Wire.LONG, RMA_KEY, rmaKey);
        b.set(Wire.LONG, COUNTER_OFFSET, counterOffset);
        System.arraycopy(name, 0, out, HEADER, name.length);
        System.arraycopy(prov, 0, out, HEADER + name.length, prov.length);
        return length;
    }

    /**
     * Validates the fixed header of a received message and returns the total length to read.
     *
     * @throws ProtocolException naming the first bad field
     */
    int validateHeader(byte expectedType) {
        byte type = WireHeader.checkPrefix(buffer, 0, Wire.VERSION, "fabric handshake", "");
        if (type != expectedType) {
            throw new ProtocolException(ProtocolError.BAD_TYPE,
                    "fabric handshake type 0x" + Integer.toHexString(type & 0xFF) + ", expected 0x"
                            + Integer.toHexString(expectedType));
        }
        int length = WireHeader.length(buffer, 0);
        if (length > MAX_LENGTH) {
            throw new ProtocolException(ProtocolError.OVERSIZED,
                    "fabric handshake length " + length + " exceeds " + MAX_LENGTH);
        }
        int nameLen = nameLength();
        int provLen = buffer.get(Wire.SHORT, PROV_LEN) & 0xFFFF;
        if (nameLen == 0 || nameLen > MAX_NAME || provLen > MAX_PROVIDER || length != HEADER + nameLen + provLen) {
            throw new ProtocolException(ProtocolError.BAD_LENGTH, "fabric handshake length " + length
                    + " does not match header " + HEADER + " + name " + nameLen + " + provider " + provLen);
        }
        return length;
    }

    /** Validates the body (after {@link #validateHeader} and reading {@code length} bytes). */
    ConnectionSpec spec() {
        ConnectionSpec spec = ConnectionSpec.fromWire(buffer.get(Wire.INT, SLOTS), buffer.get(Wire.INT, SLOT_SIZE),
                buffer.get(Wire.INT, COUNTERS));
        long stride = slotStride();
        if (stride < (long) spec.slotSize() + SLOT_DATA_OFFSET || (stride & 63) != 0) {
            throw new ProtocolException(ProtocolError.BAD_HANDSHAKE,
                    "slot stride " + stride + " cannot hold " + spec.slotSize() + "-byte slots");
        }
        if (counterOffset() < stride * spec.slots() || (counterOffset() & 7) != 0) {
            throw new ProtocolException(ProtocolError.BAD_HANDSHAKE,
                    "counter offset " + counterOffset() + " overlaps the slots or is not 8-byte aligned");
        }
        if ((flags() & ~(FLAG_RMA | FLAG_NATIVE_ATOMICS | FLAG_DOORBELL | FLAG_WAKE_ENDPOINT)) != 0) {
            throw new ProtocolException(ProtocolError.BAD_FIELD,
                    "unknown fabric handshake flags 0x" + Integer.toHexString(flags()));
        }
        if ((flags() & FLAG_WAKE_ENDPOINT) != 0 && (nameLength() & 1) != 0) {
            throw new ProtocolException(ProtocolError.BAD_FIELD,
                    "fabric handshake names two endpoints in " + nameLength() + " bytes (must be two equal halves)");
        }
        return spec;
    }

    int flags() {
        return buffer.get(Wire.INT, FLAGS);
    }

    long slotStride() {
        return buffer.get(Wire.INT, SLOT_STRIDE) & 0xFFFFFFFFL;
    }

    long rmaBase() {
        return buffer.get(Wire.LONG, RMA_BASE);
    }

    long rmaKey() {
        return buffer.get(Wire.LONG, RMA_KEY);
    }

    long counterOffset() {
        return buffer.get(Wire.LONG, COUNTER_OFFSET);
    }

    int nameLength() {
        return buffer.get(Wire.SHORT, NAME_LEN) & 0xFFFF;
    }

    /** The peer's endpoint name. */
    byte[] name() {
        return buffer.asSlice(HEADER, nameLength()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    /** The libfabric provider the peer runs; both sides must use the same one. */
    String provider() {
        int provLen = buffer.get(Wire.SHORT, PROV_LEN) & 0xFFFF;
        byte[] p = buffer.asSlice(HEADER + nameLength(), provLen).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        for (byte c : p) {
            if (c < 0x20 || c > 0x7e) {
                throw new ProtocolException(ProtocolError.BAD_FIELD, "provider name is not printable ASCII");
            }
        }
        return new String(p, StandardCharsets.US_ASCII);
    }

    /**
     * Reads one whole handshake message of {@code type} from the out-of-band socket {@code s}
     * (within its read timeout), validating the header before the body is read.
     *
     * @throws ProtocolException when it is malformed or incomplete
     * @throws PeerFailedException when the socket fails
     */
    static byte[] read(Socket s, byte type) {
        try {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[Hello.MAX_LENGTH];
            readFully(in, buf, 0, Hello.HEADER, "fabric handshake header");
            Hello h = new Hello().wrap(MemorySegment.ofArray(buf));
            int length = h.validateHeader(type);
            readFully(in, buf, Hello.HEADER, length - Hello.HEADER, "fabric handshake body");
            return java.util.Arrays.copyOf(buf, length);
        } catch (SocketTimeoutException e) {
            throw new ProtocolException(ProtocolError.TRUNCATED, "fabric handshake from " + s.getRemoteSocketAddress()
                    + " incomplete after the handshake timeout");
        } catch (IOException e) {
            throw new PeerFailedException("fabric handshake with " + s.getRemoteSocketAddress() + " failed: " + e, e);
        }
    }

    private static void readFully(InputStream in, byte[] buf, int off, int len, String what) throws IOException {
        int done = 0;
        while (done < len) {
            int n = in.read(buf, off + done, len - done);
            if (n < 0) {
                throw new ProtocolException(ProtocolError.TRUNCATED,
                        what + " ended after " + done + " of " + len + " bytes");
            }
            done += n;
        }
    }
}
