package org.rfaas.transport.shm;

import java.lang.foreign.MemorySegment;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Wire;

/**
 * The layout of the memory-mapped file shared by the two processes of one shm connection. Both
 * sides compute it from the two {@link ConnectionSpec}s exchanged in the handshake; the listener
 * writes the header, the connector checks that the header matches its own computation before it
 * touches anything else.
 *
 * <pre>
 * offset 0, file header (128 B)
 * +-------+-----+-----+-----------+---------------+
 * | magic | ver | pad | headerLen | totalSize     |   0: u16, 2: u8, 3: u8, 4: i32, 8: i64
 * +-------+-----+-----+-----------+---------------+
 * | inbox 0: slots | slotSize | counters | ringCap |  16: four i32 (listener receives here)
 * | inbox 1: slots | slotSize | counters | ringCap |  32: four i32 (connector receives here)
 * +-----------------------------------------------+
 * inbox 0, then inbox 1, each:
 * +0     consumer position  i64  published by the receiver every quarter ring (on every         [128 B]
 *                                completion for rings of up to 4 entries); the writer reads it
 *                                only when the ring looks full and no entry came back to say
 *                                otherwise
 * +128   sleeping word      i32  futex: 1 = receiver is (about to be) asleep in FUTEX_WAIT    [128 B]
 * +256   completion ring    ringCap x 64 B entries, one cache line each:
 *          +----------+------------+-----------+---------+----------+----------------------+
 *          | slot i32 | length i32 | immediate | seq i32 | ack i64  | inline payload 40 B  |
 *          +----------+------------+-----------+---------+----------+----------------------+
 *          immediate and seq are one i64 published last (release store, acquire load);
 *          ack is the writer's consumer position of the opposite ring, the value it would
 *          publish in its own consumer position: request/reply traffic learns from it that
 *          the peer has read, and never reads the peer's consumer line;
 *          a payload of at most 40 B travels inline and the receiver copies it into its
 *          slot; a longer one is written into the slot, and its first 40 B into the entry
 *          as well: Connection.receiveHead is a view of the entry's inline part
 *        counters           counters x i64, 128-aligned, targets of the peer's fetch-and-add
 *        receive slots      slots x slotSize, 4096-aligned, written by the peer
 * </pre>
 *
 * Inline payloads make a small message one cache line: the receiver that spins on {@code seq}
 * gets the length, the immediate and the data in the same transfer, as a hand-written C
 * ping-pong with the flag beside the data does. A separate slot line would cost a second
 * cross-core transfer (about 100 ns near, 450 ns far on the VMs this was measured on).
 *
 * <p>The hot fields sit on their own 128-byte blocks (two cache lines: the adjacent-line prefetcher
 * pairs lines) so that the writer's and the receiver's stores do not false-share. Entry {@code i}
 * of a ring is ready for a reader at position {@code p} when its {@code seq} equals
 * {@code (int) (p + 1)}; before that it holds the previous lap's value, {@code p + 1 - ringCap},
 * or 0 on the first lap. Any other value is corruption.
 *
 * <p>A listener opened with {@code CounterScope.LISTENER} also creates one <em>counters file</em>,
 * shared by all its connections (their own inbox counters above then go unused):
 *
 * <pre>
 * +-------+-----+------+-----------+---------------+----------+-----+
 * | magic | ver | kind | headerLen | totalSize     | counters | pad |   0: u16, 2: u8, 3: u8 = 1,
 * +-------+-----+------+-----------+---------------+----------+-----+      4: i32, 8: i64, 16: i32
 * offset 128: counters x i64, targets of every connector's fetch-and-add; file padded to 4 KiB
 * </pre>
 */
final class ShmLayout {
    /**
     * Version byte of the shm handshake and of its files (the other transports and the protocol
     * messages use {@link Wire#VERSION}). 2: a payload longer than {@value #INLINE_MAX} B also
     * carries its head in the ring entry, which a version-1 writer left stale; the two versions
     * refuse each other rather than hand out a stale head. 3: rings of {@link #ringCapacity}
     * entries (at least 4, was 64). 4: entries carry the writer's consumer position ({@link
     * #ENTRY_ACK}), the inline payload is 40 B (was 48), rings of at least {@value #MIN_RING}.
     * 5: {@link #HEAD_IN_SLOT}.
     */
    static final byte VERSION = 5;
    /** Fewest ring entries: a one-slot inbox, two completions. */
    static final int MIN_RING = 2;
    /** Bytes of the file header. */
    static final int HEADER_SIZE = 128;
    /** Bytes of one ring entry: one cache line. */
    static final int ENTRY_SIZE = 64;
    /** log2 of {@link #ENTRY_SIZE}: entry {@code i} starts at {@code ring + (i << ENTRY_SHIFT)}. */
    static final int ENTRY_SHIFT = 6;
    static final int ENTRY_SLOT = 0;
    static final int ENTRY_LENGTH = 4;
    static final int ENTRY_IMMEDIATE = 8;
    static final int ENTRY_SEQ = 12;
    /** The i64 holding slot (low half) and length (high half, its top bit {@link #HEAD_IN_SLOT}). */
    static final int ENTRY_HEAD = ENTRY_SLOT;
    /**
     * Set in the head word when the writer built the payload in the receiver's slot itself
     * ({@code sharedPeerSlot}): the receiver copies nothing from the entry into the slot. A short
     * payload's bytes would otherwise cross between the two cores' caches three times (written in
     * the slot, copied into the entry, copied back into the slot by the receiver) instead of twice.
     */
    static final long HEAD_IN_SLOT = 1L << 63;
    /** The i64 holding immediate (low half) and seq (high half), published last. */
    static final int ENTRY_TAIL = ENTRY_IMMEDIATE;
    /** The i64 acknowledgement: the writer's consumer position of the opposite ring. */
    static final int ENTRY_ACK = 16;
    /** Offset of the inline payload in an entry. */
    static final int ENTRY_INLINE = 24;
    /** Payloads of at most this many bytes travel inside the entry instead of the slot. */
    static final int INLINE_MAX = ENTRY_SIZE - ENTRY_INLINE;

    private static final int H_MAGIC = 0;
    private static final int H_VERSION = 2;
    private static final int H_HEADER_LEN = 4;
    private static final int H_TOTAL = 8;
    private static final int H_INBOX0 = 16;
    private static final int H_INBOX_STRIDE = 16;

    private static final int CONSUMER = 0;
    private static final int SLEEPING = 128;
    private static final int RING = 256;

    /** One direction of the connection: where its receiver finds completions and data. */
    record Inbox(ConnectionSpec spec, int ringCapacity, long consumerOffset, long sleepingOffset,
            long ringOffset, long countersOffset, long slotsOffset, long end) {

        /** Offset of receive slot {@code slot}. */
        long slotOffset(int slot) {
            return slotsOffset + (long) slot * spec.slotSize();
        }
    }

    private final Inbox[] inboxes;
    private final long totalSize;

    private ShmLayout(ConnectionSpec listenerSpec, ConnectionSpec connectorSpec) {
        Inbox listener = inbox(listenerSpec, HEADER_SIZE);
        Inbox connector = inbox(connectorSpec, listener.end());
        inboxes = new Inbox[] {listener, connector};
        totalSize = align(connector.end(), 4096);
    }

    /** The layout for a listener that registered {@code listenerSpec} and a connector with {@code connectorSpec}. */
    static ShmLayout of(ConnectionSpec listenerSpec, ConnectionSpec connectorSpec) {
        return new ShmLayout(listenerSpec, connectorSpec);
    }

    /**
     * Ring entries for {@code slots} slots: room for two completions per slot, at least
     * {@value #MIN_RING}, a power of two. Small on purpose: the hot round trip is 20–30 ns
     * shorter with 4 entries than with 64, and 5–10 ns shorter again with 2 than with 4 when the
     * entries carry the consumer position (docs/shm.md, "ring capacity").
     */
    static int ringCapacity(int slots) {
        return Math.max(MIN_RING, Integer.highestOneBit(slots * 2 - 1) << 1);
    }

    private static Inbox inbox(ConnectionSpec spec, long base) {
        int capacity = ringCapacity(spec.slots());
        long ring = base + RING;
        long counters = align(ring + (long) capacity * ENTRY_SIZE, 128);
        long slots = align(counters + 8L * spec.counters(), 4096);
        long end = align(slots + spec.slotBytes(), 128);
        return new Inbox(spec, capacity, base + CONSUMER, base + SLEEPING, ring, counters, slots, end);
    }

    private static long align(long v, long to) {
        return (v + to - 1) & -to;
    }

    /** The inbox that the listener ({@code 0}) or the connector ({@code 1}) receives in. */
    Inbox inbox(int side) {
        return inboxes[side];
    }

    /** Bytes of the whole file. */
    long totalSize() {
        return totalSize;
    }

    /** Offset of the first counter in a counters file. */
    static final long SHARED_COUNTERS_OFFSET = HEADER_SIZE;
    /** The {@code kind} byte of a counters file (the connection file leaves it 0). */
    private static final byte KIND_COUNTERS = 1;
    private static final int H_KIND = 3;
    private static final int H_COUNTERS = 16;

    /** Bytes of the counters file for {@code counters} shared counters. */
    static long countersFileSize(int counters) {
        return align(SHARED_COUNTERS_OFFSET + 8L * counters, 4096);
    }

    /** Writes the header of a fresh (zero-filled) counters file. */
    static void writeCountersHeader(MemorySegment map, int counters) {
        map.set(Wire.SHORT, H_MAGIC, Wire.MAGIC);
        map.set(java.lang.foreign.ValueLayout.JAVA_BYTE, H_VERSION, ShmLayout.VERSION);
        map.set(java.lang.foreign.ValueLayout.JAVA_BYTE, H_KIND, KIND_COUNTERS);
        map.set(Wire.INT, H_HEADER_LEN, HEADER_SIZE);
        map.set(Wire.LONG, H_TOTAL, countersFileSize(counters));
        map.set(Wire.INT, H_COUNTERS, counters);
    }

    /**
     * Checks that a counters file mapped from the peer's announcement carries {@code counters}
     * counters and returns the slice that holds them.
     *
     * @throws ProtocolException naming the first field that differs
     */
    static MemorySegment verifyCountersHeader(MemorySegment map, int counters) {
        long size = countersFileSize(counters);
        if (map.byteSize() != size) {
            throw new ProtocolException(ProtocolError.BAD_HANDSHAKE,
                    "shared counters file has " + map.byteSize() + " bytes, " + counters + " counters need " + size);
        }
        short magic = map.get(Wire.SHORT, H_MAGIC);
        if (magic != Wire.MAGIC) {
            throw new ProtocolException(ProtocolError.BAD_MAGIC, "shared counters file starts with 0x"
                    + Integer.toHexString(magic & 0xffff) + ", not the rFaaS magic");
        }
        byte version = map.get(java.lang.foreign.ValueLayout.JAVA_BYTE, H_VERSION);
        if (version != ShmLayout.VERSION) {
            throw new ProtocolException(ProtocolError.BAD_VERSION,
                    "shared counters file has layout version " + version + ", this build speaks " + ShmLayout.VERSION);
        }
        byte kind = map.get(java.lang.foreign.ValueLayout.JAVA_BYTE, H_KIND);
        if (kind != KIND_COUNTERS) {
            throw new ProtocolException(ProtocolError.BAD_HANDSHAKE,
                    "shared counters file has kind " + kind + ", expected " + KIND_COUNTERS + " (a counters file)");
        }
        expect(map, H_HEADER_LEN, HEADER_SIZE, "counters file header length");
        if (map.get(Wire.LONG, H_TOTAL) != size) {
            throw new ProtocolException(ProtocolError.BAD_HANDSHAKE, "shared counters file header announces "
                    + map.get(Wire.LONG, H_TOTAL) + " bytes, expected " + size);
        }
        expect(map, H_COUNTERS, counters, "counters file counter count");
        return map.asSlice(SHARED_COUNTERS_OFFSET, 8L * counters);
    }

    /** Writes the header into a fresh (zero-filled) mapping. */
    void writeHeader(MemorySegment map) {
        map.set(Wire.SHORT, H_MAGIC, Wire.MAGIC);
        map.set(java.lang.foreign.ValueLayout.JAVA_BYTE, H_VERSION, ShmLayout.VERSION);
        map.set(Wire.INT, H_HEADER_LEN, HEADER_SIZE);
        map.set(Wire.LONG, H_TOTAL, totalSize);
        for (int i = 0; i < 2; i++) {
            long at = H_INBOX0 + (long) i * H_INBOX_STRIDE;
            ConnectionSpec s = inboxes[i].spec();
            map.set(Wire.INT, at, s.slots());
            map.set(Wire.INT, at + 4, s.slotSize());
            map.set(Wire.INT, at + 8, s.counters());
            map.set(Wire.INT, at + 12, inboxes[i].ringCapacity());
        }
    }

    /**
     * Checks that a mapping written by the peer carries exactly this layout.
     *
     * @throws ProtocolException naming the first field that differs
     */
    void verifyHeader(MemorySegment map) {
        if (map.byteSize() != totalSize) {
            throw new ProtocolException(ProtocolError.BAD_HANDSHAKE,
                    "shared mapping has " + map.byteSize() + " bytes, the specs need " + totalSize);
        }
        short magic = map.get(Wire.SHORT, H_MAGIC);
        if (magic != Wire.MAGIC) {
            throw new ProtocolException(ProtocolError.BAD_MAGIC,
                    "shared mapping header starts with 0x" + Integer.toHexString(magic & 0xffff) + ", not the rFaaS magic");
        }
        byte version = map.get(java.lang.foreign.ValueLayout.JAVA_BYTE, H_VERSION);
        if (version != ShmLayout.VERSION) {
            throw new ProtocolException(ProtocolError.BAD_VERSION,
                    "shared mapping has layout version " + version + ", this build speaks " + ShmLayout.VERSION);
        }
        expect(map, H_HEADER_LEN, HEADER_SIZE, "header length");
        if (map.get(Wire.LONG, H_TOTAL) != totalSize) {
            throw new ProtocolException(ProtocolError.BAD_HANDSHAKE, "shared mapping header announces "
                    + map.get(Wire.LONG, H_TOTAL) + " bytes, the specs need " + totalSize);
        }
        for (int i = 0; i < 2; i++) {
            long at = H_INBOX0 + (long) i * H_INBOX_STRIDE;
            ConnectionSpec s = inboxes[i].spec();
            expect(map, at, s.slots(), "inbox " + i + " slots");
            expect(map, at + 4, s.slotSize(), "inbox " + i + " slot size");
            expect(map, at + 8, s.counters(), "inbox " + i + " counters");
            expect(map, at + 12, inboxes[i].ringCapacity(), "inbox " + i + " ring capacity");
        }
    }

    private static void expect(MemorySegment map, long at, int want, String what) {
        int got = map.get(Wire.INT, at);
        if (got != want) {
            throw new ProtocolException(ProtocolError.BAD_HANDSHAKE,
                    "shared mapping header has " + what + " " + got + ", expected " + want);
        }
    }
}
