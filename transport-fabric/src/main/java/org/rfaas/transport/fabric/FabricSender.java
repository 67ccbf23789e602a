package org.rfaas.transport.fabric;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sending side of a {@link FabricConnection}: the two data paths and the native
 * fetch-and-add, and ringing a warm peer.
 *
 * <h2>Data paths</h2>
 * RMA: {@code fi_inject_writedata} / {@code fi_writedata} straight into the peer's slot; the
 * 64-bit remote CQ data is {@code immediate | slot << 32 | length << 42}. A length that does not
 * fit in 22 bits travels in the slot's length word, written by the same {@code fi_writemsg} (two
 * local iovecs into one contiguous remote range), so the receiver never sees data without its
 * length. MSG: {@code fi_tinjectdata} / {@code fi_tsenddata} tagged with the slot, the immediate as
 * CQ data, into the receive the peer posted for that slot.
 *
 * <h2>Ringing</h2>
 * Every posted write is counted ({@code written}); while the peer announced that it sleeps
 * ({@code peerWarm}), each write rings it with that count: a nudge to its wake-up endpoint or a
 * TYPE_WAKE frame on the out-of-band socket. The count is published with a full fence before
 * {@code peerWarm} is read, and the out-of-band thread sets {@code peerWarm} with a full fence
 * before it reads the count ({@link #peerWarm}), so no write goes unannounced. While this side
 * waits for its own operation to complete (which needs the sleeper's progress) it rings every
 * millisecond.
 *
 * <p>One thread writes at a time (the connection's contract); nothing here allocates or locks on
 * the path of a write, except ringing in socket mode (the out-of-band channel's lock).
 */
final class FabricSender {
    private static final Logger LOG = LoggerFactory.getLogger(FabricSender.class);
    /** Largest length carried in the CQ data; this value means "read the slot's length word". */
    static final int LENGTH_ESCAPE = 0x3FFFFF;
    private static final VarHandle WRITTEN;
    private static final VarHandle PEER_WARM;
    private static final VarHandle LONG_WORD = JAVA_LONG.varHandle();
    private static final long RING_NOW = Long.MIN_VALUE;
    private static final long RING_LATER = Long.MIN_VALUE + 1;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            WRITTEN = l.findVarHandle(FabricSender.class, "written", long.class);
            PEER_WARM = l.findVarHandle(FabricSender.class, "peerWarm", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final FabricConnection connection;
    private final FabricEndpoint e;
    private final PeerEndpoint peer;
    private final OobChannel oob;
    private final String peerDescription;
    /** Writes posted to the peer (through WRITTEN: a full fence before peerWarm is read). */
    @SuppressWarnings("unused")
    private volatile long written;
    /** The peer announced TYPE_WARM (through PEER_WARM: a full fence before written is read). */
    private volatile boolean peerWarm;
    /** When the operation in progress next rings a warm peer (writing thread; see ringWhileWaiting). */
    private long txRingAt;

    FabricSender(FabricConnection connection, FabricEndpoint endpoint, PeerEndpoint peer, OobChannel oob,
            String peerDescription) {
        this.connection = connection;
        this.e = endpoint;
        this.peer = peer;
        this.oob = oob;
        this.peerDescription = peerDescription;
    }

    /** Writes {@code length} bytes at {@code src} (descriptor {@code desc}) into the peer's slot. */
    void write(int peerSlot, long src, long desc, int length, int immediate) throws Throwable {
        txRingAt = RING_NOW;
        if (peer.rma()) {
            writeRma(peerSlot, src, desc, length, immediate);
        } else {
            writeMsg(peerSlot, src, desc, length, immediate);
        }
    }

    private void writeRma(int peerSlot, long src, long desc, int length, int immediate) throws Throwable {
        long data = (immediate & 0xFFFFFFFFL) | ((long) peerSlot << 32);
        long remote = peer.rmaBase() + peerSlot * peer.stride() + Hello.SLOT_DATA_OFFSET;
        if (length < LENGTH_ESCAPE) {
            data |= (long) length << 42;
            if (length <= e.caps.injectSize()) {
                long r;
                while ((r = (long) Fi.CALL_INJECT_WRITEDATA.invokeExact(e.fnInjectWritedata, e.ep, src, (long) length,
                        data, peer.addr(), remote, peer.rmaKey())) == -Fi.FI_EAGAIN) {
                    progressWhileBlocked();
                }
                checkPosted(r, "fi_inject_writedata");
                posted();
                return;
            }
            long r;
            while ((r = (long) Fi.CALL_WRITEDATA.invokeExact(e.fnWritedata, e.ep, src, (long) length, desc, data,
                    peer.addr(), remote, peer.rmaKey(), e.txContext)) == -Fi.FI_EAGAIN) {
                progressWhileBlocked();
            }
            checkPosted(r, "fi_writedata");
            posted();
            awaitTx("fi_writedata");
            return;
        }
        // Long write: the length word and the payload land in one contiguous remote range.
        data |= (long) LENGTH_ESCAPE << 42;
        long lenWordOff = e.scratchOffset;
        e.region.set(JAVA_LONG, lenWordOff, length);
        long iovSize = Fi.IOVEC.byteSize();
        e.iovs.set(JAVA_LONG, 0, e.region.address() + lenWordOff);
        e.iovs.set(JAVA_LONG, 8, 8);
        e.iovs.set(JAVA_LONG, iovSize, src);
        e.iovs.set(JAVA_LONG, iovSize + 8, length);
        e.descs.set(JAVA_LONG, 0, e.regionDesc);
        e.descs.set(JAVA_LONG, 8, desc);
        e.rmaIov.set(JAVA_LONG, Fi.off(Fi.FI_RMA_IOV, "addr"), remote - 8);
        e.rmaIov.set(JAVA_LONG, Fi.off(Fi.FI_RMA_IOV, "len"), 8L + length);
        e.rmaIov.set(JAVA_LONG, Fi.off(Fi.FI_RMA_IOV, "key"), peer.rmaKey());
        e.msgRma.set(ADDRESS, Fi.off(Fi.FI_MSG_RMA, "msg_iov"), e.iovs);
        e.msgRma.set(ADDRESS, Fi.off(Fi.FI_MSG_RMA, "desc"), e.descs);
        e.msgRma.set(JAVA_LONG, Fi.off(Fi.FI_MSG_RMA, "iov_count"), 2);
        e.msgRma.set(JAVA_LONG, Fi.off(Fi.FI_MSG_RMA, "addr"), peer.addr());
        e.msgRma.set(ADDRESS, Fi.off(Fi.FI_MSG_RMA, "rma_iov"), e.rmaIov);
        e.msgRma.set(JAVA_LONG, Fi.off(Fi.FI_MSG_RMA, "rma_iov_count"), 1);
        e.msgRma.set(ADDRESS, Fi.off(Fi.FI_MSG_RMA, "context"), e.txContext);
        e.msgRma.set(JAVA_LONG, Fi.off(Fi.FI_MSG_RMA, "data"), data);
        long r;
        while ((r = (long) Fi.CALL_WRITEMSG.invokeExact(e.fnWritemsg, e.ep, e.msgRma,
                Fi.FI_REMOTE_CQ_DATA | (1L << 24) /* FI_COMPLETION */)) == -Fi.FI_EAGAIN) {
            progressWhileBlocked();
        }
        checkPosted(r, "fi_writemsg");
        posted();
        awaitTx("fi_writemsg");
    }

    private void writeMsg(int peerSlot, long src, long desc, int length, int immediate) throws Throwable {
        long data = immediate & 0xFFFFFFFFL;
        if (length <= e.caps.injectSize()) {
            long r;
            while ((r = (long) Fi.CALL_TINJECTDATA.invokeExact(e.fnTinjectdata, e.ep, src, (long) length, data,
                    peer.addr(), (long) peerSlot)) == -Fi.FI_EAGAIN) {
                progressWhileBlocked();
            }
            checkPosted(r, "fi_tinjectdata");
            posted();
            return;
        }
        long r;
        while ((r = (long) Fi.CALL_TSENDDATA.invokeExact(e.fnTsenddata, e.ep, src, (long) length, desc, data,
                peer.addr(), (long) peerSlot, e.txContext)) == -Fi.FI_EAGAIN) {
            progressWhileBlocked();
        }
        checkPosted(r, "fi_tsenddata");
        posted();
        awaitTx("fi_tsenddata");
    }

    /** {@code fi_fetch_atomic} (sum) on the peer's counter {@code index}; returns its old value. */
    long fetchAdd(int index, long delta) throws Throwable {
        txRingAt = RING_NOW;
        long operand = e.scratchOffset + 8;
        long result = e.scratchOffset + 16;
        e.region.set(JAVA_LONG, operand, delta);
        long remote = peer.rmaBase() + peer.counterOffset() + 8L * index;
        long r;
        while ((r = (long) Fi.CALL_FETCH_ATOMIC.invokeExact(e.fnFetchAtomic, e.ep, e.region.asSlice(operand, 8), 1L,
                MemorySegment.ofAddress(e.regionDesc), e.region.asSlice(result, 8), MemorySegment.ofAddress(e.regionDesc),
                peer.addr(), remote, peer.rmaKey(), Fi.FI_UINT64, Fi.FI_SUM, e.txContext)) == -Fi.FI_EAGAIN) {
            progressWhileBlocked();
        }
        checkPosted(r, "fi_fetch_atomic");
        awaitTx("fi_fetch_atomic");
        return e.region.get(JAVA_LONG, result);
    }

    private void checkPosted(long r, String what) {
        if (r != 0) {
            connection.checkFailure(false);
            PeerFailedException ex = new PeerFailedException(what + " to " + peerDescription + " failed: "
                    + Fi.strerror(r));
            connection.fail(ex);
            throw ex;
        }
    }

    /** Drives manual progress (reading the send CQ) while the provider pushes back. */
    private void progressWhileBlocked() throws Throwable {
        long n = (long) Fi.CALL_CQ_READ.invokeExact(e.fnTxRead, e.txCq, e.txEntry, 1L);
        if (n == 1) {
            throw new TransportException("unexpected send completion while no operation was outstanding");
        }
        if (n == -Fi.FI_EAVAIL) {
            throw connection.cqError(e.txCq, "send");
        }
        connection.checkFailure(false);
        ringWhileWaiting();
        Thread.onSpinWait();
    }

    /** Spins on the send CQ until the one outstanding operation completed. */
    private void awaitTx(String what) throws Throwable {
        while (true) {
            long n = (long) Fi.CALL_CQ_READ.invokeExact(e.fnTxRead, e.txCq, e.txEntry, 1L);
            if (n == 1) {
                return;
            }
            if (n == -Fi.FI_EAVAIL) {
                throw connection.cqError(e.txCq, what);
            }
            if (n != -Fi.FI_EAGAIN) {
                throw new TransportException("fi_cq_read(send) failed: " + Fi.strerror(n));
            }
            connection.checkFailure(false);
            ringWhileWaiting();
            Thread.onSpinWait();
        }
    }

    // ---- ringing a warm peer ---------------------------------------------------------------------

    /** Counts a posted write and rings the peer if it is warm (the full fence precedes the read). */
    private void posted() {
        long n = (long) WRITTEN.getAndAdd(this, 1L) + 1;
        if (peerWarm) {
            ring(n);
        }
        txRingAt = RING_LATER;
    }

    /**
     * Rings a warm peer while this side waits for its own operation to complete (that needs the
     * peer's progress): at once ({@link #RING_NOW}) or a millisecond after the first call
     * ({@link #RING_LATER}, the write already rang), then every millisecond.
     */
    private void ringWhileWaiting() {
        if (!peerWarm) {
            return;
        }
        long now = System.nanoTime();
        if (txRingAt == RING_LATER) {
            txRingAt = now + 1_000_000L;
        } else if (txRingAt == RING_NOW || now - txRingAt >= 0) {
            ring((long) WRITTEN.getVolatile(this));
            txRingAt = now + 1_000_000L;
        }
    }

    /**
     * The peer announced TYPE_WARM having consumed {@code consumedByPeer} messages (out-of-band
     * thread): from now on every write rings it, and if more were written already, ring now.
     */
    void peerWarm(long consumedByPeer) {
        PEER_WARM.setVolatile(this, true);
        long w = (long) WRITTEN.getVolatile(this);
        if (w > consumedByPeer) {
            ring(w);
        }
    }

    /** The peer announced TYPE_HOT: it polls, no more ringing. */
    void peerHot() {
        peerWarm = false;
    }

    /** Tells the peer that {@code count} writes were posted; from writing threads and the liveness thread. */
    private void ring(long count) {
        if (peer.useWakeEndpoint()) {
            try {
                if (!nudge(count)) {
                    LOG.debug("could not nudge {}", peerDescription);
                }
            } catch (Throwable t) {
                LOG.debug("could not nudge {}: {}", peerDescription, t.toString());
            }
            return;
        }
        try {
            oob.send(OobFrame.TYPE_WAKE, 0, count);
        } catch (IOException ex) {
            // The peer is gone or going; the liveness thread reports it.
            LOG.debug("could not wake {}: {}", peerDescription, ex.toString());
        }
    }

    /**
     * Sends the write count in an 8-byte tagged message to the peer's wake-up endpoint. Called by
     * writing threads and the liveness thread (the domain is FI_THREAD_SAFE; injects produce no
     * completion). The source word only grows (atomic max), so a nudge never carries less than
     * its caller's count.
     *
     * @return false if the provider refused it
     */
    private boolean nudge(long count) throws Throwable {
        long source = e.scratchOffset + 48;
        long cur;
        while ((cur = (long) LONG_WORD.getVolatile(e.region, source)) < count
                && !LONG_WORD.compareAndSet(e.region, source, cur, count)) {
            Thread.onSpinWait();
        }
        long r;
        while ((r = (long) Fi.CALL_TINJECTDATA.invokeExact(e.fnWakeTinjectdata, e.wakeEp, e.region.address() + source,
                8L, 0L, peer.wakeAddr(), FabricEndpoint.NUDGE_TAG)) == -Fi.FI_EAGAIN) {
            long n = (long) Fi.CALL_CQ_READ.invokeExact(e.fnWakeTxRead, e.wakeTxCq, e.wakeTxEntry, 1L); // progress
            if (n == -Fi.FI_EAVAIL || !connection.isOpen()) {
                return false;
            }
            Thread.onSpinWait();
        }
        return r == 0;
    }
}
