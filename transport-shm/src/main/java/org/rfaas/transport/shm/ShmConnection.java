package org.rfaas.transport.shm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.rfaas.transport.BackoffIdleStrategy;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.IdleStrategy;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.Wire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One side of an shm connection: a shared mapping (layout in {@link ShmLayout}) plus the
 * Unix-domain socket it was negotiated on, kept open so that the process-wide {@link ShmWatchdog}
 * sees the peer's death as end-of-file.
 *
 * <h2>Data path</h2>
 * {@link #write} copies the payload into the peer's slot (nothing to copy when the caller built
 * it there through {@link #sharedPeerSlot}; or, up to
 * {@value ShmLayout#INLINE_MAX} B, into the ring entry itself, which {@link #poll} copies into the
 * local slot), fills the next entry of the peer's completion ring and publishes it by storing the entry's sequence number with release semantics;
 * {@link #poll} loads that sequence number with acquire semantics, so the payload is visible once
 * the sequence is. Each ring has one producer (this side's sending thread) and one consumer (the
 * peer's receiving thread); nothing else writes it, so neither side needs a lock or a CAS.
 * Every entry read from the mapping is validated: the peer is another process and may be buggy.
 *
 * <h2>Flow control</h2>
 * A writer may reuse an entry once the peer has read past it. Every entry carries the writer's
 * own consumer position of the opposite ring ({@code ack}), so in request/reply traffic each side
 * learns from the answers it reads that the peer has made room, and the peer's consumer line
 * (published on every completion for small rings) stays in the peer's cache: it is read only
 * when the ring looks full and nothing came back, i.e. in one-way streams. A completion's ack
 * must not move backwards nor pass what this side has written; the receiving thread hands it to
 * the sending one through an opaque field, so the two may be different threads.
 *
 * <h2>Warm waiting</h2>
 * {@link #await} stores 1 into its inbox's sleeping word, re-checks the ring and then sleeps in
 * {@code FUTEX_WAIT} on that word while it still holds 1. A writer publishes its entry, issues a
 * full fence, and only if the word is 1 swaps it to 0 and calls {@code FUTEX_WAKE}. The two fences
 * (the waiter's volatile store, the writer's fence) guarantee that either the waiter's re-check
 * sees the entry or the writer sees the word, so no wake-up is lost, and hot writes into a
 * spinning receiver never pay a system call. Sleeps last at most {@value #SLEEP_SLICE_NANOS} ns
 * so a closed connection is noticed even if a wake-up went elsewhere.
 *
 * <h2>Hot paths</h2>
 * {@link #write}, {@link #poll}, {@link #await} and {@link #fetchAndAdd} allocate nothing and take
 * no locks. After {@link #close} they throw a {@link TransportException}.
 *
 * <h2>Memory safety of the data path</h2>
 * {@link #write}, {@link #poll} and the delivery of a completion address the ring entries, and the
 * receive slots of payloads of 8–16 B, by raw address through one segment that spans all memory
 * ({@code RAW}). A segment of a shared arena would check its bounds, its liveness and its class
 * on every access: about ten instructions each, some fourteen accesses per message and side, all
 * of it on the critical path of a round trip. The JIT folds those checks away for a constant
 * segment, and that took 20–40 ns off the hot round trip (docs/shm.md, "The data path without
 * per-access checks").
 *
 * <p>What the checks guarded against, a thread using the mapping after it is unmapped, is ruled
 * out differently: the mapping is unmapped only when this object is unreachable (a {@link Cleaner}
 * closes the arena that owns it), and the raw accesses keep {@code this} reachable
 * ({@link Reference#reachabilityFence}). {@link #close} invalidates everything handed out (receive
 * slots, heads, buffers: they are views of a second arena, which it closes) and replaces the shared
 * pages by private zero pages ({@link Quarantine}), so the shared file's memory is released at once
 * and a thread racing with {@code close} touches harmless memory before it sees the closed state.
 */
final class ShmConnection implements Connection {
    private static final Logger LOG = LoggerFactory.getLogger(ShmConnection.class);

    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle STATE;
    private static final VarHandle CONSUMED_MARK;
    private static final VarHandle PEER_ACKED;
    private static final VarHandle WRITE_POSITION;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(ShmConnection.class, "state", int.class);
            CONSUMED_MARK = lookup.findVarHandle(ShmConnection.class, "consumedMark", long.class);
            PEER_ACKED = lookup.findVarHandle(ShmConnection.class, "peerAcked", long.class);
            WRITE_POSITION = lookup.findVarHandle(ShmConnection.class, "writePosition", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** All memory, for the data path's raw accesses (see the class comment: "Memory safety"). */
    private static final MemorySegment RAW = allMemory();
    /** Unmaps a connection's mapping once the connection object is unreachable. */
    private static final Cleaner UNMAPPER = Cleaner.create();

    private static final int OPEN = 0;
    private static final int PEER_FAILED = 1;
    private static final int FAILED = 2;
    private static final int CLOSED = 3;

    /** Longest single futex sleep: bounds how late a missed wake-up or a close is noticed. */
    static final long SLEEP_SLICE_NANOS = 100_000_000L;

    private final ShmTransport transport;
    /** Owns the file mapping(s); closed by {@link #UNMAPPER}, never by {@link #close}. */
    private final Arena arena;
    /** Owns {@link #map} (a view of the mapping), the receive slots and the buffers; closed by {@link #close}. */
    private final Arena views;
    /** The mapping as a checked segment of {@link #views}, for everything but the data path. */
    private final MemorySegment map;
    /** Address of the mapping: the data path adds the offsets below to it and goes through {@code RAW}. */
    private final long base;
    private final SocketChannel socket;
    private final String peerDescription;
    private final ConnectionSpec localSpec;
    private final ConnectionSpec peerSpec;
    private final MemorySegment[] receiveSlots;
    /** The peer's receive slots, for callers that build a message in place ({@link #sharedPeerSlot}). */
    private final MemorySegment[] peerSlotViews;
    /** Per entry of the inbound ring, a read-only view of its inline part (see {@link #receiveHead}). */
    private final MemorySegment[] entryHeads;
    /** Per receive slot, the ring entry of its last completion. */
    private final int[] lastEntry;
    /** {@code struct timespec} for FUTEX_WAIT, reused by the receiving thread. */
    private final MemorySegment timespec;

    // Inbox: written by the peer, consumed here.
    private final long inConsumer;
    private final long inSleeping;
    private final long inRing;
    private final long inMask;
    private final int inCapacity;
    /** The consumer position is published every {@code inPublishMask + 1} completions (a quarter ring). */
    private final long inPublishMask;
    /** Where this side's counters live: the mapping, or a listener's shared counters file. */
    private final MemorySegment inCounterMemory;
    private final long inCounters;
    private final int inSlots;
    /** Offset of receive slot 0 in the mapping. */
    private final long inSlotsBase;
    private final int inSlotSize;

    // Outbox: the peer's inbox, written here.
    private final long outConsumer;
    private final long outSleeping;
    private final long outRing;
    private final long outMask;
    private final int outCapacity;
    /** Where the peer's counters live: the mapping, or the listener's shared counters file. */
    private final MemorySegment outCounterMemory;
    private final long outCounters;
    private final long outSlotsBase;
    private final int outSlots;
    private final int outSlotSize;

    /** Receiving thread only: the next ring position to read. */
    private long readPosition;
    /**
     * Receiving thread only: what the entry at {@link #readPosition} holds while it is empty (its
     * previous lap's sequence, 0 on the first lap), so that {@link #poll} validates an empty
     * entry without computing it.
     */
    private int emptySeq;
    /**
     * Written by the receiving thread, read by the sending one (opaque): this side's consumer
     * position, the position of the entry it returned last. {@link #write} sends it to the peer
     * in every entry, so that a peer that gets answers never reads the consumer line.
     */
    private long consumedMark;
    /**
     * Written by the receiving thread (opaque), read by the sending one: the peer's consumer
     * position as its last entry here announced it (validated: it never moves backwards and
     * never passes {@link #writePosition}).
     */
    private long peerAcked;
    /**
     * Sending thread only: the next ring position to write (read by the receiving thread to
     * validate acknowledgements), the consumer position that flow control goes by, and the last
     * value read from the peer's consumer line.
     */
    private long writePosition;
    private long peerConsumed;
    private long peerConsumerLine;
    /** Sending thread only: how a write waits for room in the peer's full ring. */
    private final IdleStrategy ringFullIdle = new BackoffIdleStrategy(1_000, 1_000, 50_000, 50_000);

    /** OPEN, PEER_FAILED, FAILED or CLOSED; read with opaque loads on the hot path. */
    @SuppressWarnings("unused")
    private volatile int state;
    private volatile String failure = "";
    /** Guards the one-time release of the socket and the mapping. */
    private final AtomicBoolean resourcesClosed = new AtomicBoolean();

    ShmConnection(ShmTransport transport, int side, ShmLayout layout, Arena arena, MemorySegment mapping,
            SocketChannel socket, String peerDescription) {
        this(transport, side, layout, arena, mapping, socket, peerDescription, null);
    }

    /**
     * A connection whose listener-side counters are {@code sharedCounters} (the counters of a
     * {@code CounterScope.LISTENER} listener's counters file) instead of the listener's inbox
     * counters in {@code map}; {@code null} keeps them in the mapping. On the listener side
     * ({@code side} 0) they are this side's counters, on the connector side the peer's.
     */
    ShmConnection(ShmTransport transport, int side, ShmLayout layout, Arena arena, MemorySegment mapping,
            SocketChannel socket, String peerDescription, MemorySegment sharedCounters) {
        Futex.checkAvailable(); // before the first wait or wake; it may still be linking (ShmTransportProvider)
        this.transport = transport;
        this.arena = arena;
        this.views = Arena.ofShared();
        this.base = mapping.address();
        this.map = view(base, mapping.byteSize(), views);
        this.socket = socket;
        this.peerDescription = peerDescription;
        ShmLayout.Inbox in = layout.inbox(side);
        ShmLayout.Inbox out = layout.inbox(1 - side);
        this.localSpec = in.spec();
        this.peerSpec = out.spec();
        this.inConsumer = in.consumerOffset();
        this.inSleeping = in.sleepingOffset();
        this.inRing = in.ringOffset();
        this.inCapacity = in.ringCapacity();
        this.inMask = in.ringCapacity() - 1;
        this.inPublishMask = Math.max(1, in.ringCapacity() / 4) - 1;
        boolean sharedIn = sharedCounters != null && side == 0;
        boolean sharedOut = sharedCounters != null && side == 1;
        this.inCounterMemory = sharedIn ? sharedCounters : map;
        this.inCounters = sharedIn ? 0 : in.countersOffset();
        this.inSlots = localSpec.slots();
        this.inSlotsBase = in.slotsOffset();
        this.inSlotSize = localSpec.slotSize();
        this.outConsumer = out.consumerOffset();
        this.outSleeping = out.sleepingOffset();
        this.outRing = out.ringOffset();
        this.outCapacity = out.ringCapacity();
        this.outMask = out.ringCapacity() - 1;
        this.outCounterMemory = sharedOut ? sharedCounters : map;
        this.outCounters = sharedOut ? 0 : out.countersOffset();
        this.outSlotsBase = out.slotsOffset();
        this.outSlots = peerSpec.slots();
        this.outSlotSize = peerSpec.slotSize();
        this.receiveSlots = new MemorySegment[inSlots];
        for (int i = 0; i < inSlots; i++) {
            receiveSlots[i] = map.asSlice(in.slotOffset(i), inSlotSize);
        }
        this.peerSlotViews = new MemorySegment[outSlots];
        for (int i = 0; i < outSlots; i++) {
            peerSlotViews[i] = map.asSlice(out.slotOffset(i), outSlotSize);
        }
        this.entryHeads = new MemorySegment[inCapacity];
        for (int i = 0; i < inCapacity; i++) {
            entryHeads[i] = map.asSlice(inRing + ((long) i << ShmLayout.ENTRY_SHIFT) + ShmLayout.ENTRY_INLINE,
                    ShmLayout.INLINE_MAX).asReadOnly();
        }
        this.lastEntry = new int[inSlots];
        this.timespec = views.allocate(16, 8);
        UNMAPPER.register(this, new Unmap(arena));
    }

    @SuppressWarnings("restricted") // the reason this module needs --enable-native-access
    private static MemorySegment allMemory() {
        return MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    }

    /** A checked view of the mapping at {@code address}, valid until {@code views} is closed. */
    @SuppressWarnings("restricted")
    private static MemorySegment view(long address, long size, Arena views) {
        return MemorySegment.ofAddress(address).reinterpret(size, views, null);
    }

    /** The cleaning action: must not refer to the connection, or it would never become unreachable. */
    private record Unmap(Arena mapping) implements Runnable {
        @Override
        public void run() {
            try {
                mapping.close();
            } catch (IllegalStateException e) {
                // closed already (a failed handshake closes it itself)
            }
        }
    }

    SocketChannel socket() {
        return socket;
    }

    /** The whole shared mapping; tests use it to play a misbehaving peer. */
    MemorySegment mapping() {
        return map;
    }

    @Override
    public ConnectionSpec localSpec() {
        return localSpec;
    }

    @Override
    public ConnectionSpec peerSpec() {
        return peerSpec;
    }

    @Override
    public String peerDescription() {
        return peerDescription;
    }

    @Override
    public MemorySegment receiveSlot(int slot) {
        if (slot < 0 || slot >= inSlots) {
            throw new IllegalArgumentException("receive slot " + slot + " outside 0.." + (inSlots - 1));
        }
        return receiveSlots[slot];
    }

    /**
     * The head of the slot's last payload, read in place from the inline part of the ring entry
     * that completed it: the writer puts the first {@value ShmLayout#INLINE_MAX} B of every payload
     * there (a longer one in the slot as well), and the receiver has that entry's cache line since
     * it read the sequence number. The entry is not reused before the next poll: the consumer
     * position this side publishes stays behind the entry last returned.
     */
    @Override
    public MemorySegment receiveHead(int slot) {
        if (slot < 0 || slot >= inSlots) {
            throw new IllegalArgumentException("receive slot " + slot + " outside 0.." + (inSlots - 1));
        }
        return entryHeads[lastEntry[slot]];
    }

    @Override
    public int inlineLimit() {
        return ShmLayout.INLINE_MAX;
    }

    /** The peer's receive slot in the mapping: a message built there is published without a copy. */
    @Override
    public Optional<MemorySegment> sharedPeerSlot(int peerSlot) {
        if (peerSlot < 0 || peerSlot >= outSlots) {
            throw new IllegalArgumentException("peer slot " + peerSlot + " outside 0.." + (outSlots - 1));
        }
        return Optional.of(peerSlotViews[peerSlot]);
    }

    @Override
    public MemorySegment allocateBuffer(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("buffer size must be >= 0, got " + bytes);
        }
        try {
            return views.allocate(Math.max(bytes, 1), 64).asSlice(0, bytes);
        } catch (IllegalStateException e) {
            throw closedException();
        }
    }

    @Override
    public void write(int peerSlot, MemorySegment source, long offset, int length, int immediate) {
        // Written for the JIT: small enough to be inlined into the caller even without a profile
        // (code compiled at tier 2 collects none), and no calls on the way for an inline payload of
        // 8-16 B; the rest is out of line.
        if ((int) STATE.getOpaque(this) != OPEN || (peerSlot | length) < 0 || peerSlot >= outSlots
                || length > outSlotSize) {
            throw refusedWrite(peerSlot, length);
        }
        try {
            long position = writePosition;
            // What the peer's last entry here announced is usually enough: then its line stays unread.
            if (position - (long) PEER_ACKED.getOpaque(this) >= outCapacity) {
                awaitRingSpace(position);
            }
            long ack = (long) CONSUMED_MARK.getOpaque(this);
            long entry = outRing + ((position & outMask) << ShmLayout.ENTRY_SHIFT);
            long at = base + entry;
            long slot = outSlotsBase + (long) peerSlot * outSlotSize;
            boolean inPlace = source.address() + offset == base + slot && source.isNative();
            if (length >= 8 && length <= 16) {
                // The first and the last word, overlapping unless the length is 16: every byte of
                // the payload, nothing outside it.
                RAW.set(Wire.LONG, at + ShmLayout.ENTRY_INLINE, source.get(Wire.LONG, offset));
                RAW.set(Wire.LONG, at + (ShmLayout.ENTRY_INLINE - 8) + length, source.get(Wire.LONG, offset - 8 + length));
            } else {
                copyOther(source, offset, slot, inPlace, entry, length);
            }
            RAW.set(Wire.LONG, at /* + ENTRY_HEAD, which is 0 */, peerSlot /* >= 0 */ | ((long) length << 32)
                    | (inPlace ? ShmLayout.HEAD_IN_SLOT : 0));
            RAW.set(Wire.LONG, at + ShmLayout.ENTRY_ACK, ack);
            LONG.setRelease(RAW, at + ShmLayout.ENTRY_TAIL, (immediate & 0xFFFF_FFFFL) | ((position + 1) << 32));
            WRITE_POSITION.setOpaque(this, position + 1);
            // Dekker with await(): our entry store, then our load of the sleeping word.
            VarHandle.fullFence();
            if ((int) INT.getOpaque(RAW, base + outSleeping) != 0) {
                wakePeer();
            }
            Reference.reachabilityFence(this);
            return; // here rather than after the catch: no jump, and the method stays under C2's 325 B
        } catch (IllegalStateException e) {
            throw closedException();
        }
    }

    /**
     * The payloads {@link #write} does not copy itself: shorter than a word or longer than two
     * (inline up to {@value ShmLayout#INLINE_MAX} B), or longer than that (into the slot, and the
     * head into the entry as well).
     *
     * @param slot the peer's slot, an offset in the mapping
     * @param inPlace whether the payload was built there (sharedPeerSlot)
     */
    private void copyOther(MemorySegment source, long offset, long slot, boolean inPlace, long entry, int length) {
        if (length <= ShmLayout.INLINE_MAX) {
            MemorySegment.copy(source, offset, map, entry + ShmLayout.ENTRY_INLINE, length);
            return;
        }
        // The head goes into the entry too: the receiver reads a protocol header from there
        // (receiveHead) without waiting for the slot's first line. Copied after the bulk copy,
        // which has brought the source's first line into this core's cache (an echo writes from
        // its receive slot, whose lines the peer wrote).
        if (inPlace) {
            // Built in place in the peer's slot (sharedPeerSlot): nothing to move but the head.
            Objects.checkFromIndexSize(offset, length, source.byteSize());
        } else {
            MemorySegment.copy(source, offset, map, slot, length);
        }
        MemorySegment.copy(source, offset, map, entry + ShmLayout.ENTRY_INLINE, ShmLayout.INLINE_MAX);
    }

    /** The receiver may be asleep: take its sleeping word back to 0 and wake it (cold path). */
    private void wakePeer() {
        if (INT.compareAndSet(map, outSleeping, 1, 0)) {
            Futex.wake(map.address() + outSleeping);
        }
    }

    /** Why {@link #write} refused: the connection is not open, or the arguments are wrong. */
    private RuntimeException refusedWrite(int peerSlot, int length) {
        if ((int) STATE.getOpaque(this) != OPEN) {
            return stateException();
        }
        if (peerSlot < 0 || peerSlot >= outSlots) {
            return new IllegalArgumentException("peer slot " + peerSlot + " outside 0.." + (outSlots - 1));
        }
        return new IllegalArgumentException("write of " + length + " bytes does not fit the peer's "
                + outSlotSize + "-byte slots");
    }

    /** The peer's ring is full: wait (spin, then yield, then park) until it consumes or fails. */
    private void awaitRingSpace(long position) {
        if (position - peerConsumed < outCapacity) {
            return; // known from an earlier read of the line
        }
        IdleStrategy idle = ringFullIdle;
        idle.reset();
        while (true) {
            long line = (long) LONG.getAcquire(map, outConsumer);
            if (line < peerConsumerLine || line > position) {
                throw fail(new ProtocolException(ProtocolError.BAD_FIELD, "peer's ring consumer position "
                        + line + " is outside " + peerConsumerLine + ".." + position + " (corrupt shared mapping)"));
            }
            peerConsumerLine = line;
            // The line may lag behind what the peer's entries announced (it is published every
            // quarter ring), and the other way round.
            long consumed = Math.max(line, (long) PEER_ACKED.getOpaque(this));
            if (consumed > peerConsumed) {
                peerConsumed = consumed;
            }
            if (position - peerConsumed < outCapacity) {
                return;
            }
            checkOpen();
            idle.idle();
        }
    }

    @Override
    public boolean poll(Completion into) {
        // Small, so that it is inlined into the caller's spin loop even when it was compiled on
        // its own first (the JIT does not inline a method whose compiled code is big). The work
        // for a message that has arrived is in take().
        try {
            long position = readPosition;
            long entry = inRing + ((position & inMask) << ShmLayout.ENTRY_SHIFT);
            long tail = (long) LONG.getAcquire(RAW, base + entry + ShmLayout.ENTRY_TAIL);
            int seq = (int) (tail >>> 32);
            if (seq == (int) (position + 1)) {
                return take(into, position, entry, tail);
            }
            if (seq == emptySeq && (int) STATE.getOpaque(this) == OPEN) {
                return false;
            }
            return notReady(into, position, entry, seq);
        } catch (IllegalStateException e) {
            throw closedException();
        }
    }

    /** Delivers the published entry at {@code position}, whose tail {@code poll} has read. */
    private boolean take(Completion into, long position, long entry, long tail) {
        long at = base + entry;
        long head = RAW.get(Wire.LONG, at + ShmLayout.ENTRY_HEAD);
        long ack = RAW.get(Wire.LONG, at + ShmLayout.ENTRY_ACK);
        int slot = (int) head;
        int length = (int) (head >>> 32) & Integer.MAX_VALUE;
        // The state last: after close (or a protocol failure) the entry may have been read from
        // the quarantine's zero pages, which can look valid.
        if ((slot | length) < 0 || slot >= inSlots || length > inSlotSize || ack < peerAcked
                || ack > (long) WRITE_POSITION.getOpaque(this) || (int) STATE.getOpaque(this) >= FAILED) {
            throw badEntry(slot, length, ack);
        }
        long to = inSlotsBase + (long) slot * inSlotSize;
        if (head < 0) {
            // HEAD_IN_SLOT: the writer built the payload in the slot; the entry holds only a copy
        } else if (length >= 8 && length <= 16) {
            // As in write: the first and the last word.
            long first = RAW.get(Wire.LONG, at + ShmLayout.ENTRY_INLINE);
            long last = RAW.get(Wire.LONG, at + ShmLayout.ENTRY_INLINE - 8 + length);
            RAW.set(Wire.LONG, base + to, first);
            RAW.set(Wire.LONG, base + to - 8 + length, last);
        } else if (length <= ShmLayout.INLINE_MAX) {
            MemorySegment.copy(map, entry + ShmLayout.ENTRY_INLINE, map, to, length);
        }
        lastEntry[slot] = (int) (position & inMask);
        into.set(slot, length, (int) tail);
        readPosition = position + 1;
        PEER_ACKED.setOpaque(this, ack);
        CONSUMED_MARK.setOpaque(this, position);
        // What the entry at the next position holds while it is empty: its previous lap's sequence.
        emptySeq = position + 1 >= inCapacity ? (int) (position + 2 - inCapacity) : 0;
        if (((position + 1) & inPublishMask) == 0) {
            // One behind what was consumed: the entry just returned stays the writer's to
            // leave alone until a later publish, so receiveHead can read it in place.
            LONG.setRelease(RAW, base + inConsumer, position);
        }
        Reference.reachabilityFence(this);
        return true;
    }

    /** The entry at {@code position} is not (validly) published: empty, corrupt, or the connection ended. */
    private boolean notReady(Completion into, long position, long entry, int seq) {
        if ((int) STATE.getOpaque(this) != OPEN) {
            // Failed or closed: first deliver what the peer published before it went away. (After
            // close the data path reads the zero pages of the quarantine: the state comes first.)
            if ((int) STATE.getAcquire(this) != CLOSED
                    && (int) INT.getAcquire(map, entry + ShmLayout.ENTRY_SEQ) == (int) (position + 1)) {
                return poll(into);
            }
            throw stateException();
        }
        if (seq != emptySeq) {
            throw fail(new ProtocolException(ProtocolError.BAD_FIELD, "completion ring entry "
                    + (position & inMask) + " has sequence " + seq + ", expected " + emptySeq
                    + " (empty) or " + (int) (position + 1) + " (ready)"));
        }
        return false;
    }

    private RuntimeException badEntry(int slot, int length, long ack) {
        if ((int) STATE.getOpaque(this) >= FAILED) {
            return stateException(); // closed under us: the entry may have been read from the quarantine
        }
        if (slot < 0 || slot >= inSlots) {
            return fail(new ProtocolException(ProtocolError.BAD_INDEX, "completion names slot " + slot
                    + ", this side registered slots 0.." + (inSlots - 1)));
        }
        if (length < 0 || length > inSlotSize) {
            return fail(new ProtocolException(ProtocolError.OVERSIZED, "completion announces " + length
                    + " bytes in slot " + slot + ", slots hold " + inSlotSize));
        }
        long written = (long) WRITE_POSITION.getOpaque(this);
        return fail(new ProtocolException(ProtocolError.BAD_FIELD, "completion acknowledges consumer position "
                + ack + ", outside " + peerAcked + ".." + written + " (it moved backwards, or past what this side wrote)"));
    }

    @Override
    public boolean await(Completion into, long timeoutNanos) {
        if (poll(into)) {
            return true;
        }
        if (timeoutNanos <= 0) {
            return false;
        }
        long start = System.nanoTime();
        try {
            long word = map.address() + inSleeping;
            while (true) {
                INT.setVolatile(map, inSleeping, 1);
                boolean got;
                try {
                    got = poll(into);
                } catch (TransportException e) {
                    clearSleeping();
                    throw e;
                }
                if (got) {
                    INT.setOpaque(map, inSleeping, 0);
                    return true;
                }
                // Elapsed-time form: start + timeoutNanos would overflow for Long.MAX_VALUE.
                long left = timeoutNanos - (System.nanoTime() - start);
                if (left <= 0) {
                    INT.setOpaque(map, inSleeping, 0);
                    return false;
                }
                long slice = Math.min(left, SLEEP_SLICE_NANOS);
                timespec.set(ValueLayout.JAVA_LONG, 0, slice / 1_000_000_000L);
                timespec.set(ValueLayout.JAVA_LONG, 8, slice % 1_000_000_000L);
                Futex.await(word, 1, timespec.address());
            }
        } catch (IllegalStateException e) {
            throw closedException();
        }
    }

    private void clearSleeping() {
        try {
            INT.setOpaque(map, inSleeping, 0);
        } catch (IllegalStateException ignored) {
            // Unmapped by close(): there is no word left to clear.
        }
    }

    @Override
    public void release(int slot) {
        if (slot < 0 || slot >= inSlots) {
            throw new IllegalArgumentException("receive slot " + slot + " outside 0.." + (inSlots - 1));
        }
        // One-sided semantics: the peer owns slot reuse; nothing to re-post.
    }

    @Override
    public boolean releaseRequired() {
        return false;
    }

    @Override
    public long fetchAndAdd(int index, long delta) {
        checkOpen();
        if (index < 0 || index >= peerSpec.counters()) {
            throw new IllegalArgumentException("peer counter " + index + " outside its "
                    + peerSpec.counters() + " registered counters");
        }
        try {
            return (long) LONG.getAndAdd(outCounterMemory, outCounters + 8L * index, delta);
        } catch (IllegalStateException e) {
            throw closedException();
        }
    }

    @Override
    public long localCounter(int index) {
        if (index < 0 || index >= localSpec.counters()) {
            throw new IllegalArgumentException("local counter " + index + " outside the "
                    + localSpec.counters() + " registered counters");
        }
        try {
            return (long) LONG.getVolatile(inCounterMemory, inCounters + 8L * index);
        } catch (IllegalStateException e) {
            throw closedException();
        }
    }

    @Override
    public boolean isOpen() {
        return (int) STATE.getOpaque(this) == OPEN;
    }

    private void checkOpen() {
        if ((int) STATE.getOpaque(this) != OPEN) {
            throw stateException();
        }
    }

    private TransportException stateException() {
        int s = (int) STATE.getAcquire(this);
        return switch (s) {
            case PEER_FAILED -> new PeerFailedException("shm peer " + peerDescription + " " + failure);
            case FAILED -> new TransportException("shm connection to " + peerDescription + " was closed after "
                    + failure);
            default -> closedException();
        };
    }

    private TransportException closedException() {
        int s = (int) STATE.getAcquire(this);
        if (s == PEER_FAILED) {
            return new PeerFailedException("shm peer " + peerDescription + " " + failure);
        }
        return new TransportException("shm connection to " + peerDescription + " is closed"
                + (failure.isEmpty() ? "" : " (" + failure + ")"));
    }

    /**
     * Called by the watchdog when the liveness socket reports end-of-file or an error: from now on
     * every operation throws {@link PeerFailedException}; a sleeping {@link #await} is woken.
     */
    void peerFailed(String why) {
        failure = why;
        if (STATE.compareAndSet(this, OPEN, PEER_FAILED)) {
            LOG.debug("shm peer {} failed: {}", peerDescription, why);
            wakeLocalWaiter();
        }
    }

    /** A protocol violation by the peer: close the connection and hand back the error to throw. */
    private ProtocolException fail(ProtocolException e) {
        LOG.warn("closing shm connection to {}: {}", peerDescription, e.getMessage());
        failure = e.getMessage();
        STATE.compareAndSet(this, OPEN, FAILED);
        closeResources();
        return e;
    }

    private void wakeLocalWaiter() {
        try {
            INT.setVolatile(map, inSleeping, 0);
            Futex.wake(map.address() + inSleeping);
        } catch (IllegalStateException ignored) {
            // Already unmapped by close(), which woke the waiter itself.
        }
    }

    @Override
    public void close() {
        STATE.getAndSet(this, CLOSED);
        closeResources();
    }

    private void closeResources() {
        if (!resourcesClosed.compareAndSet(false, true)) {
            return;
        }
        wakeLocalWaiter();
        try {
            socket.close();
        } catch (IOException e) {
            LOG.warn("closing the liveness socket to {} failed: {}", peerDescription, e.toString());
        }
        transport.forget(this);
        try {
            views.close();
        } catch (IllegalStateException e) {
            LOG.warn("shm connection to {}: its slots and buffers stay valid until it is collected: {}",
                    peerDescription, e.toString());
        }
        String why = Quarantine.replace(base, map.byteSize()); // the size of a closed view is still known
        if (why != null) {
            LOG.warn("shm connection to {}: the shared pages stay mapped until it is collected: {}", peerDescription, why);
        }
    }

    @Override
    public String toString() {
        return "ShmConnection[" + peerDescription + ", local " + localSpec + ", peer " + peerSpec + "]";
    }
}
