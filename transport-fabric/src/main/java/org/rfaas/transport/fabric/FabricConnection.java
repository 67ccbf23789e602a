package org.rfaas.transport.fabric;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.fabric.FabricCapabilities.DataMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection over one libfabric FI_EP_RDM endpoint, plus a plain TCP socket to the peer used for
 * the handshake ({@link Hello}), as the liveness channel (end of stream = the peer is gone, even
 * after SIGKILL) and for emulated fetch-and-add ({@link OobFrame}).
 *
 * <h2>Registered region</h2>
 * One page-aligned region registered with {@code fi_mr_reg}: {@code slots} strides of
 * {@code roundUp(slotSize + 64, 64)} bytes (data at offset 64, a length word at 56), then the
 * counters, then local scratch words (length word source, fetch-and-add operand and result).
 *
 * <h2>Data path</h2>
 * RMA mode: {@code fi_inject_writedata} / {@code fi_writedata} straight into the peer's slot; the
 * 64-bit remote CQ data is {@code immediate | slot << 32 | length << 42}. A length that does not
 * fit in 22 bits travels in the slot's length word, written by the same {@code fi_writemsg} (two
 * local iovecs into one contiguous remote range), so the receiver never sees data without its
 * length. MSG mode: one tagged receive posted per slot (tag = slot), {@code fi_tsenddata} with the
 * immediate as CQ data; {@link #release} re-posts the receive.
 *
 * <h2>Warm waiting</h2>
 * The data endpoint's receive CQ has no wait object by default: with {@code tcp;ofi_rxm} an
 * {@code FI_WAIT_FD} one makes every hot round trip about 20 % slower, libfabric's own C
 * ping-pong included (docs/rdma.md). Instead each side tells the other on the out-of-band socket
 * how it waits, once per switch: the first {@link #await} that finds the receive CQ empty sends
 * {@link OobFrame#TYPE_WARM} with {@code consumed} (messages taken from the receive CQ so far), the
 * first {@link #poll} after that sends {@link OobFrame#TYPE_HOT}. While the peer is warm, every
 * write rings it with the number of writes posted so far ({@code written}), and the out-of-band
 * thread rings at once when a TYPE_WARM arrives after more than {@code consumed} were written. The
 * flag and the count are published before they are read on each side (full fences), so one of
 * the two sees the other and no write goes unannounced. A waiter sleeps only while
 * {@code consumed} has caught up with the highest count it was rung with; a message that was
 * announced but has not reached the CQ yet is polled for. A peer that waits for its own send or
 * atomic to complete rings too (every millisecond), since that needs the sleeper's progress. How
 * it rings ({@link FabricCapabilities#warmWaitMode()}):
 * <ul>
 *   <li>{@code ENDPOINT} (the default where CQs accept {@code FI_WAIT_FD}): each side opens a
 *       second, wake-up endpoint whose receive CQ has the wait object and carries nothing but
 *       8-byte tagged "nudges" holding {@code written}; the sleeper is in {@code fi_cq_sread} on it.
 *       ofi_rxm allocates ~17 MiB of buffers for it.
 *   <li>{@code SOCKET} (the default elsewhere, e.g. shm): a {@link OobFrame#TYPE_WAKE} frame; the
 *       peer's liveness thread reads it and unparks the sleeper.
 *   <li>{@code CQ} ({@code -Drfaas.fabric.warmWait=cq}): no protocol; {@code fi_cq_sread} on the
 *       data CQ, which then has {@code FI_WAIT_FD}.
 * </ul>
 *
 * <h2>Threads</h2>
 * Send and receive use separate completion queues, so the sending and the receiving thread never
 * steal each other's completions; the domain is FI_THREAD_SAFE. {@link #write}, {@link #poll} and
 * {@link #await} allocate nothing and take no locks (two atomic increments guard against
 * {@link #close} freeing native memory underneath them), except on the warm paths: the frames of
 * the out-of-band socket (announcing warm or hot, and ringing a warm peer in {@code SOCKET} mode)
 * are written under its lock. One thread receives ({@code poll}/{@code await}); the counts and
 * the warm flag of the receiving side are its own.
 */
final class FabricConnection implements Connection {
    private static final Logger LOG = LoggerFactory.getLogger(FabricConnection.class);

    /** Largest length carried in the CQ data; this value means "read the slot's length word". */
    static final int LENGTH_ESCAPE = 0x3FFFFF;
    /** How long after the out-of-band EOF completions that were in flight may still be drained. */
    private static final long DRAIN_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Tag of the warm-up message each side sends once the handshake is done (outside slot tags). */
    private static final long WARMUP_TAG = 1L << 60;
    /** Tag of the empty messages sent to a sleeping peer's wake-up endpoint. */
    private static final long NUDGE_TAG = WARMUP_TAG + 1;
    /** Polls of an empty receive CQ before a waiter backs off: for a message it was rung for, or (peer that never rings) before parking. */
    private static final int SPIN_POLLS = 100;
    private static final long ACCESS = Fi.FI_READ | Fi.FI_WRITE | Fi.FI_REMOTE_READ | Fi.FI_REMOTE_WRITE
            | Fi.FI_SEND | Fi.FI_RECV;
    private static final VarHandle COUNTER = JAVA_LONG.varHandle();
    private static final VarHandle BUSY;
    private static final VarHandle WRITTEN;
    private static final VarHandle PEER_WARM;
    private static final VarHandle LONG_WORD = JAVA_LONG.varHandle();

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            BUSY = l.findVarHandle(FabricConnection.class, "busy", int.class);
            WRITTEN = l.findVarHandle(FabricConnection.class, "written", long.class);
            PEER_WARM = l.findVarHandle(FabricConnection.class, "peerWarm", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final FabricTransport transport;
    private final FabricDomain dom;
    private final FabricCapabilities caps;
    private final ConnectionSpec local;
    /** How this side's warm waits would like to sleep; see the class comment. */
    private final FabricCapabilities.WarmWait warmWait;
    /** Warm waits sleep in fi_cq_sread on the data CQ (which has FI_WAIT_FD). */
    private final boolean sreadWait;
    /** Longest single {@code fi_cq_sread} or park ({@link FabricContext#waitSliceMillis()}). */
    private final int waitSliceMillis;
    private final Socket oob;
    private final String peerDescription;
    private final Arena arena = Arena.ofShared();

    // native objects
    private MemorySegment av = MemorySegment.NULL;
    private MemorySegment ep = MemorySegment.NULL;
    private MemorySegment txCq = MemorySegment.NULL;
    private MemorySegment rxCq = MemorySegment.NULL;
    private MemorySegment regionMr = MemorySegment.NULL;
    // the wake-up endpoint (WarmWait.ENDPOINT only)
    private MemorySegment wakeEp = MemorySegment.NULL;
    private MemorySegment wakeTxCq = MemorySegment.NULL;
    private MemorySegment wakeRxCq = MemorySegment.NULL;
    private final MemorySegment region;
    private final long stride;
    private final long counterOffset;
    private final long scratchOffset;
    private long regionDesc;
    private long regionKey;

    // function pointers, resolved once
    private MemorySegment fnTxRead;
    private MemorySegment fnRxRead;
    private MemorySegment fnRxSread;
    private MemorySegment fnWritedata;
    private MemorySegment fnInjectWritedata;
    private MemorySegment fnWritemsg;
    private MemorySegment fnTrecv;
    private MemorySegment fnTsenddata;
    private MemorySegment fnTinjectdata;
    private MemorySegment fnFetchAtomic;
    private MemorySegment fnWakeTxRead;
    private MemorySegment fnWakeRxRead;
    private MemorySegment fnWakeRxSread;
    private MemorySegment fnWakeTrecv;
    private MemorySegment fnWakeTinjectdata;

    // per-operation scratch (not registered)
    private final MemorySegment txEntry;
    private final MemorySegment rxEntry;
    private final MemorySegment errEntry;
    private final MemorySegment txContext;
    private final MemorySegment rxContexts;
    private final MemorySegment msgRma;
    private final MemorySegment iovs;
    private final MemorySegment descs;
    private final MemorySegment rmaIov;
    private final MemorySegment wakeEntry;
    private final MemorySegment wakeTxEntry;
    private final MemorySegment nudgeContext;

    // allocateBuffer() segments: [start, end) and descriptor
    private long[] bufStart = new long[8];
    private long[] bufEnd = new long[8];
    private long[] bufDesc = new long[8];
    private MemorySegment[] bufMr = new MemorySegment[8];
    private volatile int bufCount;

    // the peer
    private ConnectionSpec peer;
    private long peerAddr;
    private boolean peerRma;
    private boolean peerNativeAtomics;
    private long peerRmaBase;
    private long peerRmaKey;
    private long peerStride;
    private long peerCounterOffset;
    /** The peer rings after TYPE_WARM, so a warm wait may sleep until it rings. */
    private boolean peerRingsDoorbell;
    /** Both sides have a wake-up endpoint: ring with a nudge to it rather than a TYPE_WAKE frame. */
    private boolean useWakeEndpoint;
    private long peerWakeAddr;

    // receive completions that arrived while the warm-up was awaited: (slot, length, immediate)
    private int[] early = new int[0];
    private int earlyCount;
    private int earlyNext;

    // state
    private volatile boolean closed;
    /** The peer announced an orderly close: its end of stream is no death, our endpoint closes safely. */
    private volatile boolean peerSaidBye;
    private volatile RuntimeException failure;
    private volatile long failedAtNanos;
    @SuppressWarnings("unused") // through BUSY
    private volatile int busy;
    /** The out-of-band socket after the handshake: frames and liveness. */
    private final OobChannel oobChannel;
    private volatile Thread faaWaiter;
    private volatile boolean faaReplyReady;
    private volatile long faaReply;
    private Thread liveness;

    // warm waiting (class comment): receiving side, touched by the receiving thread only
    private long consumed;
    /** TYPE_WARM was sent and no TYPE_HOT since. */
    private boolean announcedWarm;
    /** The highest write count a nudge carried (wake-up endpoint). */
    private long nudgedWritten;
    /** The highest write count a TYPE_WAKE carried (wake socket; written by the liveness thread). */
    private volatile long rungWritten;
    private volatile Thread sleeper;
    /** How a warm await sleeps; chosen once the peer's HELLO is known. */
    private WarmWaiter waiter;
    // sending side
    /** Writes posted to the peer (through WRITTEN: a full fence before peerWarm is read). */
    @SuppressWarnings("unused")
    private volatile long written;
    /** The peer announced TYPE_WARM (through PEER_WARM: a full fence before written is read). */
    private volatile boolean peerWarm;
    /** When the operation in progress next rings a warm peer (writing thread; see ringWhileWaiting). */
    private long txRingAt;
    private static final long RING_NOW = Long.MIN_VALUE;
    private static final long RING_LATER = Long.MIN_VALUE + 1;

    private FabricConnection(FabricTransport transport, FabricDomain dom, ConnectionSpec local, Socket oob) {
        this.transport = transport;
        this.dom = dom;
        this.caps = dom.caps;
        this.local = local;
        this.warmWait = caps.warmWaitMode();
        this.sreadWait = warmWait == FabricCapabilities.WarmWait.CQ;
        this.oob = oob;
        this.peerDescription = "fabric:" + caps.variant() + " peer " + oob.getRemoteSocketAddress();
        this.oobChannel = new OobChannel(oob, peerDescription);
        this.waitSliceMillis = transport.context().waitSliceMillis();
        this.stride = roundUp((long) local.slotSize() + Hello.SLOT_DATA_OFFSET, 64);
        this.counterOffset = stride * local.slots();
        this.scratchOffset = roundUp(counterOffset + 8L * local.counters(), 64);
        long regionBytes = roundUp(scratchOffset + 64, 4096);
        this.region = arena.allocate(regionBytes, 4096);
        this.txEntry = arena.allocate(Fi.FI_CQ_TAGGED_ENTRY);
        this.rxEntry = arena.allocate(Fi.FI_CQ_TAGGED_ENTRY);
        this.errEntry = arena.allocate(Fi.FI_CQ_ERR_ENTRY);
        this.txContext = arena.allocate(Fi.FI_CONTEXT2_SIZE, 64);
        this.rxContexts = arena.allocate(Fi.FI_CONTEXT2_SIZE * (local.slots() + 1L), 64); // + warm-up
        this.msgRma = arena.allocate(Fi.FI_MSG_RMA);
        this.iovs = arena.allocate(Fi.IOVEC.byteSize() * 2, 8);
        this.descs = arena.allocate(ADDRESS.byteSize() * 2, 8);
        this.rmaIov = arena.allocate(Fi.FI_RMA_IOV);
        this.wakeEntry = arena.allocate(Fi.FI_CQ_TAGGED_ENTRY);
        this.wakeTxEntry = arena.allocate(Fi.FI_CQ_TAGGED_ENTRY);
        this.nudgeContext = arena.allocate(Fi.FI_CONTEXT2_SIZE, 64);
    }

    private static long roundUp(long v, long to) {
        return (v + to - 1) / to * to;
    }

    /** Connector side: opens the endpoint, sends HELLO, reads WELCOME. */
    static FabricConnection connect(FabricTransport transport, FabricDomain dom, ConnectionSpec local, Socket s) {
        FabricConnection c = new FabricConnection(transport, dom, local, s);
        try {
            c.openEndpoint();
            c.sendHello(Hello.TYPE_HELLO);
            c.receiveHello(Hello.TYPE_WELCOME);
            c.startLiveness();
            c.warmUp(10_000);
            c.start();
            return c;
        } catch (RuntimeException e) {
            c.closeQuietly();
            throw e;
        }
    }

    /** Listener side: reads and validates HELLO before opening anything, then answers WELCOME. */
    static FabricConnection accept(FabricTransport transport, FabricDomain dom, ConnectionSpec local, Socket s) {
        FabricConnection c = new FabricConnection(transport, dom, local, s);
        try {
            byte[] hello = Hello.read(s, Hello.TYPE_HELLO);
            c.openEndpoint();
            c.applyHello(hello);
            c.sendHello(Hello.TYPE_WELCOME);
            c.startLiveness();
            c.warmUp(10_000);
            c.start();
            return c;
        } catch (RuntimeException e) {
            c.closeQuietly();
            throw e;
        }
    }

    // ---- setup -----------------------------------------------------------------------------------

    private void openEndpoint() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            long domOps = Fi.off(Fi.FID_DOMAIN, "ops");
            MemorySegment avAttr = a.allocate(Fi.FI_AV_ATTR);
            int avType = Fi.ptr(dom.info, Fi.INFO_DOMAIN_ATTR, Fi.FI_DOMAIN_ATTR.byteSize()).get(JAVA_INT, Fi.DOM_AV_TYPE);
            avAttr.set(JAVA_INT, Fi.off(Fi.FI_AV_ATTR, "type"), avType == Fi.FI_AV_UNSPEC ? Fi.FI_AV_TABLE : avType);
            avAttr.set(JAVA_LONG, Fi.off(Fi.FI_AV_ATTR, "count"), 4);
            Fi.check((int) Fi.CALL_OPEN4.invokeExact(Fi.fn(dom.domain, domOps, Fi.FI_OPS_DOMAIN, "av_open"),
                    dom.domain, avAttr, out, MemorySegment.NULL), "fi_av_open");
            av = out.get(ADDRESS, 0).reinterpret(Fi.FID_AV.byteSize());

            txCq = FabricDomain.openCq(dom.domain, 64, Fi.FI_WAIT_NONE, a);
            rxCq = FabricDomain.openCq(dom.domain, Math.max(128, 2L * local.slots()),
                    sreadWait ? Fi.FI_WAIT_FD : Fi.FI_WAIT_NONE, a);
            if (txCq == null || rxCq == null) {
                throw new TransportException("fi_cq_open failed for provider " + caps.provider());
            }
            ep = newEndpoint("", a);
            bindAndEnable(ep, txCq, rxCq, "");

            MemorySegment mr = register(region, a);
            regionMr = mr;
            regionDesc = mr.get(ADDRESS, Fi.MR_DESC).address();
            regionKey = mr.get(JAVA_LONG, Fi.MR_KEY);

            long cqOps = Fi.off(Fi.FID_CQ, "ops");
            fnTxRead = Fi.fn(txCq, cqOps, Fi.FI_OPS_CQ, "read");
            fnRxRead = Fi.fn(rxCq, cqOps, Fi.FI_OPS_CQ, "read");
            fnRxSread = Fi.fn(rxCq, cqOps, Fi.FI_OPS_CQ, "sread");
            long rmaOps = Fi.off(Fi.FID_EP, "rma");
            long taggedOps = Fi.off(Fi.FID_EP, "tagged");
            long atomicOps = Fi.off(Fi.FID_EP, "atomic");
            if (caps.rma()) {
                fnWritedata = Fi.fn(ep, rmaOps, Fi.FI_OPS_RMA, "writedata");
                fnInjectWritedata = Fi.fn(ep, rmaOps, Fi.FI_OPS_RMA, "injectdata");
                fnWritemsg = Fi.fn(ep, rmaOps, Fi.FI_OPS_RMA, "writemsg");
            }
            fnTrecv = Fi.fn(ep, taggedOps, Fi.FI_OPS_TAGGED, "recv");
            fnTsenddata = Fi.fn(ep, taggedOps, Fi.FI_OPS_TAGGED, "senddata");
            fnTinjectdata = Fi.fn(ep, taggedOps, Fi.FI_OPS_TAGGED, "injectdata");
            if (caps.nativeFetchAdd()) {
                fnFetchAtomic = Fi.fn(ep, atomicOps, Fi.FI_OPS_ATOMIC, "readwrite");
            }
            if (caps.mode() == DataMode.MSG) {
                for (int slot = 0; slot < local.slots(); slot++) {
                    postReceive(slot);
                }
            }
            // Posted before our HELLO leaves, so the peer's warm-up message always finds it.
            long r = (long) Fi.CALL_TRECV.invokeExact(fnTrecv, ep, region.address() + scratchOffset + 24, 8L,
                    regionDesc, Fi.FI_ADDR_UNSPEC, WARMUP_TAG, 0L, warmUpContext());
            Fi.check(r, "fi_trecv(warm-up)");
            if (warmWait == FabricCapabilities.WarmWait.ENDPOINT) {
                openWakeEndpoint(a);
            }
        } catch (Throwable t) {
            throw Fi.rethrow(t);
        }
    }

    /**
     * The wake-up endpoint: same domain and AV, its own CQs (the receive CQ with FI_WAIT_FD), one
     * empty tagged receive posted for nudges. Memory regions belong to the domain, so the region's
     * descriptor serves its buffers (FI_MR_ENDPOINT providers never get here).
     */
    private void openWakeEndpoint(Arena a) throws Throwable {
        wakeTxCq = FabricDomain.openCq(dom.domain, 16, Fi.FI_WAIT_NONE, a);
        wakeRxCq = FabricDomain.openCq(dom.domain, 16, Fi.FI_WAIT_FD, a);
        if (wakeTxCq == null || wakeRxCq == null) {
            throw new TransportException("fi_cq_open failed for the wake-up endpoint of provider " + caps.provider());
        }
        // ofi_rxm sizes its buffer pools by its own parameters, not by this endpoint's queue
        // sizes (smaller tx/rx attributes were tried: no change), so this costs ~17 MiB there.
        wakeEp = newEndpoint("wake-up ", a);
        bindAndEnable(wakeEp, wakeTxCq, wakeRxCq, "wake-up ");
        long cqOps = Fi.off(Fi.FID_CQ, "ops");
        fnWakeTxRead = Fi.fn(wakeTxCq, cqOps, Fi.FI_OPS_CQ, "read");
        fnWakeRxRead = Fi.fn(wakeRxCq, cqOps, Fi.FI_OPS_CQ, "read");
        fnWakeRxSread = Fi.fn(wakeRxCq, cqOps, Fi.FI_OPS_CQ, "sread");
        long taggedOps = Fi.off(Fi.FID_EP, "tagged");
        fnWakeTrecv = Fi.fn(wakeEp, taggedOps, Fi.FI_OPS_TAGGED, "recv");
        fnWakeTinjectdata = Fi.fn(wakeEp, taggedOps, Fi.FI_OPS_TAGGED, "injectdata");
        postNudgeReceive();
    }

    /** Takes every nudge that has arrived (non-blocking), keeping the highest write count. */
    void drainNudges() throws Throwable {
        long m;
        while ((m = (long) Fi.CALL_CQ_READ.invokeExact(fnWakeRxRead, wakeRxCq, wakeEntry, 1L)) == 1) {
            takeNudge();
        }
        if (m == -Fi.FI_EAVAIL) {
            throw cqError(wakeRxCq, "wake-up endpoint");
        }
    }

    /** A nudge completed into its receive buffer: note its count and post the receive again. */
    private void takeNudge() throws Throwable {
        long n = region.get(JAVA_LONG, scratchOffset + 40);
        if (n < 0) {
            throw fatal(new ProtocolException(ProtocolError.BAD_FIELD,
                    "wake-up nudge from " + peerDescription + " carries a negative write count " + n));
        }
        if (n > nudgedWritten) {
            nudgedWritten = n;
        }
        postNudgeReceive();
    }

    private void postNudgeReceive() throws Throwable {
        long r;
        while ((r = (long) Fi.CALL_TRECV.invokeExact(fnWakeTrecv, wakeEp, region.address() + scratchOffset + 40, 8L,
                regionDesc, Fi.FI_ADDR_UNSPEC, NUDGE_TAG, 0L, nudgeContext.address())) == -Fi.FI_EAGAIN) {
            Thread.onSpinWait();
        }
        Fi.check(r, "fi_trecv(nudge)");
    }

    /**
     * Sends the write count in an 8-byte tagged message to the peer's wake-up endpoint. Called by
     * writing threads and the liveness thread (the domain is FI_THREAD_SAFE; injects produce no
     * completion). The source word only grows (atomic max), so a nudge never carries less than
     * its caller's count.
     *
     * @return false if the provider refused it
     */
    private boolean nudge(long written) throws Throwable {
        long source = scratchOffset + 48;
        long cur;
        while ((cur = (long) LONG_WORD.getVolatile(region, source)) < written
                && !LONG_WORD.compareAndSet(region, source, cur, written)) {
            Thread.onSpinWait();
        }
        long r;
        while ((r = (long) Fi.CALL_TINJECTDATA.invokeExact(fnWakeTinjectdata, wakeEp, region.address() + source, 8L,
                0L, peerWakeAddr, NUDGE_TAG)) == -Fi.FI_EAGAIN) {
            long n = (long) Fi.CALL_CQ_READ.invokeExact(fnWakeTxRead, wakeTxCq, wakeTxEntry, 1L); // progress
            if (n == -Fi.FI_EAVAIL || failure != null || closed) {
                return false;
            }
            Thread.onSpinWait();
        }
        return r == 0;
    }

    /**
     * Each side sends one empty tagged message and waits for the peer's. With manual progress a
     * provider may need the peer's help to set up the path (shm maps the peer's region, ofi_rxm
     * connects its tcp socket); both sides are inside this method at the same time, so the first
     * real write never waits for a peer that is not polling yet.
     */
    private void warmUp(long timeoutMillis) {
        try {
            warmUpLoop(timeoutMillis);
        } catch (Throwable t) {
            throw Fi.rethrow(t);
        }
    }

    private void warmUpLoop(long timeoutMillis) throws Throwable {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        boolean sent = false;
        boolean received = false;
        // The wake-up endpoints exchange one nudge too, so that ofi_rxm has connected them.
        boolean nudged = !useWakeEndpoint;
        boolean nudgeReceived = !useWakeEndpoint;
        while (!sent || !received || !nudged || !nudgeReceived) {
            RuntimeException f = failure;
            if (f != null) {
                // The out-of-band channel saw the peer go (it died or gave up on its side).
                throw f;
            }
            if (System.nanoTime() > deadline) {
                throw new PeerFailedException("fabric warm-up with " + peerDescription + " did not complete within "
                        + timeoutMillis + " ms (" + (sent ? "sent" : "not sent") + ", "
                        + (received ? "received" : "not received") + ", wake-up endpoint "
                        + (nudged ? "sent" : "not sent") + ", " + (nudgeReceived ? "received" : "not received") + ")");
            }
            if (!nudged) {
                nudged = tryInject(fnWakeTinjectdata, wakeEp, 48, 8, peerWakeAddr, NUDGE_TAG, "warm-up nudge");
                long m = (long) Fi.CALL_CQ_READ.invokeExact(fnWakeTxRead, wakeTxCq, wakeTxEntry, 1L);
                if (m == -Fi.FI_EAVAIL) {
                    throw cqError(wakeTxCq, "warm-up nudge");
                }
            }
            if (!nudgeReceived) {
                long m = (long) Fi.CALL_CQ_READ.invokeExact(fnWakeRxRead, wakeRxCq, wakeEntry, 1L);
                if (m == 1) {
                    nudgeReceived = true;
                    takeNudge();
                } else if (m == -Fi.FI_EAVAIL) {
                    throw cqError(wakeRxCq, "warm-up nudge");
                }
            }
            if (!sent) {
                sent = tryInject(fnTinjectdata, ep, 32, 0, peerAddr, WARMUP_TAG, "warm-up send");
            }
            long n = (long) Fi.CALL_CQ_READ.invokeExact(fnTxRead, txCq, txEntry, 1L);
            if (n == -Fi.FI_EAVAIL) {
                throw cqError(txCq, "warm-up send");
            }
            n = (long) Fi.CALL_CQ_READ.invokeExact(fnRxRead, rxCq, rxEntry, 1L);
            if (n == 1) {
                if (rxEntry.get(JAVA_LONG, Fi.CQE_TAG) == WARMUP_TAG
                        && rxEntry.get(ADDRESS, Fi.CQE_OP_CONTEXT).address() == warmUpContext()) {
                    received = true;
                } else {
                    // The peer finished first and already wrote: keep it for poll().
                    Completion c = new Completion();
                    decode(c);
                    if (earlyCount * 3 == early.length) {
                        early = java.util.Arrays.copyOf(early, Math.max(12, early.length * 2));
                    }
                    early[earlyCount * 3] = c.slot();
                    early[earlyCount * 3 + 1] = c.length();
                    early[earlyCount * 3 + 2] = c.immediate();
                    earlyCount++;
                }
            } else if (n == -Fi.FI_EAVAIL) {
                throw cqError(rxCq, "warm-up receive");
            } else {
                Thread.onSpinWait();
            }
        }
    }

    /** One tagged inject from the scratch word at {@code offset}; false if the provider said -FI_EAGAIN. */
    private boolean tryInject(MemorySegment fn, MemorySegment endpoint, long offset, long length, long dest, long tag,
            String what) throws Throwable {
        long r = (long) Fi.CALL_TINJECTDATA.invokeExact(fn, endpoint, region.address() + scratchOffset + offset, length,
                0L, dest, tag);
        if (r != 0 && r != -Fi.FI_EAGAIN) {
            throw new PeerFailedException(what + " to " + peerDescription + " failed: " + Fi.strerror(r));
        }
        return r == 0;
    }

    private long warmUpContext() {
        return rxContexts.address() + local.slots() * Fi.FI_CONTEXT2_SIZE;
    }

    /** Hands out a completion stashed during the warm-up; false when there is none. */
    private boolean takeEarly(Completion into) {
        if (earlyNext == earlyCount) {
            return false;
        }
        int i = earlyNext++ * 3;
        into.set(early[i], early[i + 1], early[i + 2]);
        return true;
    }

    /** {@code fi_endpoint} on the domain's info; the caller stores it at once, so that a failure later closes it. */
    private MemorySegment newEndpoint(String which, Arena a) throws Throwable {
        MemorySegment out = a.allocate(ADDRESS);
        Fi.check((int) Fi.CALL_OPEN4.invokeExact(Fi.fn(dom.domain, Fi.off(Fi.FID_DOMAIN, "ops"), Fi.FI_OPS_DOMAIN,
                "endpoint"), dom.domain, dom.info, out, MemorySegment.NULL), which.isEmpty() ? "fi_endpoint" : "fi_endpoint(" + which.trim() + ")");
        return out.get(ADDRESS, 0).reinterpret(Fi.FID_EP.byteSize());
    }

    /** Binds the AV and the two CQs to {@code endpoint} and enables it. */
    private void bindAndEnable(MemorySegment endpoint, MemorySegment tx, MemorySegment rx, String which)
            throws Throwable {
        bind(endpoint, av, 0, "fi_ep_bind(" + which + "av)");
        bind(endpoint, tx, Fi.FI_TRANSMIT, "fi_ep_bind(" + which + "tx cq)");
        bind(endpoint, rx, Fi.FI_RECV, "fi_ep_bind(" + which + "rx cq)");
        Fi.check((int) Fi.CALL_CONTROL.invokeExact(Fi.fidFn(endpoint, "control"), endpoint, Fi.FI_ENABLE,
                MemorySegment.NULL), "fi_enable(" + which + "endpoint)");
    }

    private static void bind(MemorySegment obj, MemorySegment target, long flags, String what) throws Throwable {
        Fi.check((int) Fi.CALL_BIND.invokeExact(Fi.fidFn(obj, "bind"), obj, target, flags), what);
    }

    /** fi_mr_reg (+ fi_mr_bind/fi_mr_enable for FI_MR_ENDPOINT providers such as cxi). */
    private MemorySegment register(MemorySegment memory, Arena a) throws Throwable {
        MemorySegment out = a.allocate(ADDRESS);
        long requestedKey = (caps.mrMode() & Fi.FI_MR_PROV_KEY) != 0 ? 0 : transport.nextMrKey();
        MemorySegment regFn = Fi.fn(dom.domain, Fi.off(Fi.FID_DOMAIN, "mr"), Fi.FI_OPS_MR, "reg");
        int ret = (int) Fi.CALL_MR_REG.invokeExact(regFn, dom.domain, memory, memory.byteSize(), ACCESS, 0L,
                requestedKey, 0L, out, MemorySegment.NULL);
        Fi.check(ret, "fi_mr_reg(" + memory.byteSize() + " bytes); on RDMA hardware check `ulimit -l`");
        MemorySegment mr = out.get(ADDRESS, 0).reinterpret(Fi.FID_MR.byteSize());
        if ((caps.mrMode() & Fi.FI_MR_ENDPOINT) != 0) {
            bind(mr, ep, 0, "fi_mr_bind");
            Fi.check((int) Fi.CALL_CONTROL.invokeExact(Fi.fidFn(mr, "control"), mr, Fi.FI_ENABLE, MemorySegment.NULL),
                    "fi_mr_enable");
        }
        return mr;
    }

    private static byte[] endpointName(MemorySegment ep) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment name = a.allocate(Hello.MAX_NAME);
            MemorySegment len = a.allocate(JAVA_LONG);
            len.set(JAVA_LONG, 0, Hello.MAX_NAME);
            MemorySegment fn = Fi.fn(ep, Fi.off(Fi.FID_EP, "cm"), Fi.FI_OPS_CM, "getname");
            Fi.check((int) Fi.CALL_GETNAME.invokeExact(fn, ep, name, len), "fi_getname");
            return name.asSlice(0, len.get(JAVA_LONG, 0)).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }
    }

    private void sendHello(byte type) {
        try {
            int flags = (caps.mode() == DataMode.RMA ? Hello.FLAG_RMA : 0)
                    | (caps.nativeFetchAdd() ? Hello.FLAG_NATIVE_ATOMICS : 0) | Hello.FLAG_DOORBELL;
            long base = (caps.mrMode() & Fi.FI_MR_VIRT_ADDR) != 0 ? region.address() : 0;
            byte[] out = new byte[Hello.MAX_LENGTH];
            byte[] name = endpointName(ep);
            if (!wakeEp.equals(MemorySegment.NULL)) {
                byte[] wakeName = endpointName(wakeEp);
                if (wakeName.length != name.length) {
                    throw new TransportException("the wake-up endpoint's name has " + wakeName.length
                            + " bytes, the data endpoint's " + name.length);
                }
                name = java.util.Arrays.copyOf(name, 2 * name.length);
                System.arraycopy(wakeName, 0, name, wakeName.length, wakeName.length);
                flags |= Hello.FLAG_WAKE_ENDPOINT;
            }
            int n = Hello.encode(out, type, local, flags, stride, base, regionKey, counterOffset, name,
                    caps.providerFound());
            OutputStream os = oob.getOutputStream();
            os.write(out, 0, n);
            os.flush();
        } catch (IOException e) {
            throw new PeerFailedException("fabric handshake with " + oob.getRemoteSocketAddress() + " failed: " + e, e);
        } catch (Throwable t) {
            throw Fi.rethrow(t);
        }
    }

    private void receiveHello(byte type) {
        applyHello(Hello.read(oob, type));
    }

    private void applyHello(byte[] bytes) {
        Hello h = new Hello().wrap(MemorySegment.ofArray(bytes));
        h.validateHeader(bytes[3]);
        peer = h.spec();
        String prov = h.provider();
        if (!prov.equals(caps.providerFound())) {
            throw new ProtocolException(ProtocolError.BAD_HANDSHAKE,
                    "peer runs libfabric provider '" + prov + "', this side '" + caps.providerFound() + "'");
        }
        peerRma = (h.flags() & Hello.FLAG_RMA) != 0;
        peerNativeAtomics = (h.flags() & Hello.FLAG_NATIVE_ATOMICS) != 0;
        peerRingsDoorbell = (h.flags() & Hello.FLAG_DOORBELL) != 0;
        if (peerRma && fnWritedata == null) {
            throw new ProtocolException(ProtocolError.BAD_HANDSHAKE, "peer expects RMA writes; this endpoint has no FI_RMA");
        }
        if (peerNativeAtomics && fnFetchAtomic == null) {
            // We cannot reach the peer's counters with FI_ATOMIC; it also serves frames, so emulate.
            peerNativeAtomics = false;
        }
        peerRmaBase = h.rmaBase();
        peerRmaKey = h.rmaKey();
        peerStride = h.slotStride();
        peerCounterOffset = h.counterOffset();
        byte[] name = h.name();
        if ((h.flags() & Hello.FLAG_WAKE_ENDPOINT) != 0) {
            byte[] wakeName = java.util.Arrays.copyOfRange(name, name.length / 2, name.length);
            name = java.util.Arrays.copyOf(name, name.length / 2);
            useWakeEndpoint = peerRingsDoorbell && !wakeEp.equals(MemorySegment.NULL);
            if (useWakeEndpoint) {
                peerWakeAddr = insertAddress(wakeName);
            }
        }
        peerAddr = insertAddress(name);
        waiter = sreadWait ? new CqWaiter(this, waitSliceMillis)
                : !peerRingsDoorbell ? new BackoffWaiter(SPIN_POLLS)
                : useWakeEndpoint ? new EndpointWaiter(this, SPIN_POLLS, waitSliceMillis)
                : new SocketWaiter(this, SPIN_POLLS, waitSliceMillis);
    }

    private long insertAddress(byte[] name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment addr = a.allocate(name.length);
            MemorySegment.copy(MemorySegment.ofArray(name), 0, addr, 0, name.length);
            MemorySegment fiAddr = a.allocate(JAVA_LONG);
            MemorySegment fn = Fi.fn(av, Fi.off(Fi.FID_AV, "ops"), Fi.FI_OPS_AV, "insert");
            int n = (int) Fi.CALL_AV_INSERT.invokeExact(fn, av, addr, 1L, fiAddr, 0L, MemorySegment.NULL);
            if (n != 1) {
                throw new ProtocolException(ProtocolError.BAD_HANDSHAKE,
                        "fi_av_insert rejected the peer's endpoint name: " + Fi.strerror(n < 0 ? n : -22));
            }
            return fiAddr.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw Fi.rethrow(t);
        }
    }

    /**
     * Starts watching the out-of-band socket before the warm-up, so that a peer that dies (or gives
     * up) while this side waits for its warm-up message fails the handshake at once rather than
     * after the warm-up timeout: ofi_rxm keeps answering -FI_EAGAIN to a peer that is gone.
     */
    private void startLiveness() {
        try {
            oobChannel.startLiveness(transport.context().liveness());
        } catch (IOException e) {
            throw new PeerFailedException("out-of-band socket failed: " + e, e);
        }
        liveness = Thread.ofPlatform().daemon().name("rfaas-fabric-oob-" + oob.getPort()).start(this::serveOob);
    }

    private void start() {
        LOG.debug("fabric connection to {} up: mode {} (peer {}), fetch-and-add {}, warm wait {}", peerDescription,
                caps.mode(), peerRma ? "RMA" : "MSG", peerNativeAtomics ? "FI_ATOMIC" : "emulated",
                warmWaitKind());
    }

    // ---- liveness and emulated atomics ----------------------------------------------------------

    private void serveOob() {
        OobFrame frame = new OobFrame();
        try {
            InputStream in = oobChannel.input();
            while (!closed) {
                oobChannel.read(frame, in);
                byte type = frame.validate(local.counters());
                if (type == OobFrame.TYPE_HEARTBEAT) {
                    continue;
                }
                if (type == OobFrame.TYPE_FAA_REQUEST) {
                    long old = (long) COUNTER.getAndAdd(region, counterOffset + 8L * frame.index(), frame.value());
                    oobChannel.send(OobFrame.TYPE_FAA_REPLY, frame.index(), old);
                } else if (type == OobFrame.TYPE_BYE) {
                    peerSaidBye = true;
                } else if (type == OobFrame.TYPE_WARM) {
                    PEER_WARM.setVolatile(this, true);
                    long w = (long) WRITTEN.getVolatile(this);
                    if (w > frame.value()) {
                        ring(w);
                    }
                } else if (type == OobFrame.TYPE_HOT) {
                    peerWarm = false;
                } else if (type == OobFrame.TYPE_WAKE) {
                    if (frame.value() > rungWritten) {
                        rungWritten = frame.value();
                    }
                    Thread s = sleeper;
                    if (s != null) {
                        LockSupport.unpark(s);
                    }
                } else {
                    faaReply = frame.value();
                    faaReplyReady = true;
                    Thread w = faaWaiter;
                    if (w != null) {
                        LockSupport.unpark(w);
                    }
                }
            }
        } catch (ProtocolException e) {
            LOG.warn("closing fabric connection to {}: {}", peerDescription, e.getMessage());
            fail(e);
            closeSocket();
        } catch (SocketTimeoutException e) {
            if (!closed) {
                long ms = transport.context().liveness().timeout().toMillis();
                fail(new PeerFailedException(peerDescription + " sent nothing on the out-of-band channel for " + ms
                        + " ms (liveness timeout): its host is unreachable or its process is frozen", e));
                closeSocket(); // unblocks a thread writing to the silent peer
            }
        } catch (IOException e) {
            // End of stream means the peer is gone even if we are closing: freeNative() must know.
            if (!closed || e instanceof EOFException) {
                fail(new PeerFailedException(peerSaidBye ? peerDescription + " closed the connection"
                        : peerDescription + " is gone (out-of-band channel: "
                        + (e instanceof EOFException ? "end of stream" : e.toString()) + ")", e));
            }
        } finally {
            oobChannel.stopHeartbeats();
        }
    }

    private void fail(RuntimeException e) {
        if (failure == null) {
            failedAtNanos = System.nanoTime();
            failure = e;
        }
        Thread w = faaWaiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
        Thread s = sleeper;
        if (s != null) {
            LockSupport.unpark(s);
        }
        // A thread in fi_cq_sread notices within one wait slice.
    }

    // ---- warm waiting ----------------------------------------------------------------------------

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

    /** Tells the peer that {@code written} writes were posted; from writing threads and the liveness thread. */
    private void ring(long written) {
        if (useWakeEndpoint) {
            try {
                if (!nudge(written)) {
                    LOG.debug("could not nudge {}", peerDescription);
                }
            } catch (Throwable t) {
                LOG.debug("could not nudge {}: {}", peerDescription, t.toString());
            }
            return;
        }
        try {
            oobChannel.send(OobFrame.TYPE_WAKE, 0, written);
        } catch (IOException e) {
            // The peer is gone or going; the liveness thread reports it.
            LOG.debug("could not wake {}: {}", peerDescription, e.toString());
        }
    }

    /** Sends TYPE_WARM (with the consumed count) or TYPE_HOT. */
    private void announce(byte type, long consumedSoFar) {
        try {
            oobChannel.send(type, 0, consumedSoFar);
        } catch (IOException e) {
            fail(new PeerFailedException("cannot reach " + peerDescription + " on the out-of-band socket: " + e, e));
        }
    }

    /** Throws the failure; for a dead peer only after in-flight completions had time to drain. */
    private void checkFailure(boolean drain) {
        RuntimeException f = failure;
        if (f != null && (!drain || !(f instanceof PeerFailedException)
                || System.nanoTime() - failedAtNanos > DRAIN_GRACE_NANOS)) {
            throw f;
        }
    }

    // ---- guard against close() freeing memory under a running call -------------------------------

    private boolean enter() {
        BUSY.getAndAdd(this, 1);
        if (closed) {
            BUSY.getAndAdd(this, -1);
            return false;
        }
        return true;
    }

    private void exit() {
        BUSY.getAndAdd(this, -1);
    }

    private void enterOrThrow() {
        if (!enter()) {
            RuntimeException f = failure;
            throw f != null ? f : new PeerFailedException("fabric connection to " + peerDescription + " is closed");
        }
    }

    // ---- Connection ------------------------------------------------------------------------------

    @Override
    public ConnectionSpec localSpec() {
        return local;
    }

    @Override
    public ConnectionSpec peerSpec() {
        return peer;
    }

    @Override
    public String peerDescription() {
        return peerDescription;
    }

    /** How a warm {@link #await} of this connection sleeps: fi_cq_sread, wake endpoint, wake socket or back-off. */
    String warmWaitKind() {
        WarmWaiter w = waiter;
        return w == null ? "none before the handshake" : w.kind();
    }

    /** The capabilities and data path of this connection's provider. */
    FabricCapabilities capabilities() {
        return caps;
    }

    @Override
    public MemorySegment receiveSlot(int slot) {
        if (slot < 0 || slot >= local.slots()) {
            throw new IllegalArgumentException("slot " + slot + " outside 0.." + (local.slots() - 1));
        }
        return region.asSlice(slot * stride + Hello.SLOT_DATA_OFFSET, local.slotSize());
    }

    @Override
    public synchronized MemorySegment allocateBuffer(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("buffer size must be positive, got " + bytes);
        }
        enterOrThrow();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(roundUp(bytes, 4096), 4096);
            MemorySegment mr = register(seg, a);
            int n = bufCount;
            if (n == bufStart.length) {
                bufStart = java.util.Arrays.copyOf(bufStart, n * 2);
                bufEnd = java.util.Arrays.copyOf(bufEnd, n * 2);
                bufDesc = java.util.Arrays.copyOf(bufDesc, n * 2);
                bufMr = java.util.Arrays.copyOf(bufMr, n * 2);
            }
            bufStart[n] = seg.address();
            bufEnd[n] = seg.address() + seg.byteSize();
            bufDesc[n] = mr.get(ADDRESS, Fi.MR_DESC).address();
            bufMr[n] = mr;
            bufCount = n + 1;
            return seg.asSlice(0, bytes);
        } catch (Throwable t) {
            throw Fi.rethrow(t);
        } finally {
            exit();
        }
    }

    /** The descriptor of registered memory holding [address, address+length). */
    private long descriptorFor(long address, long length) {
        long end = address + length;
        if (address >= region.address() && end <= region.address() + region.byteSize()) {
            return regionDesc;
        }
        int n = bufCount;
        for (int i = 0; i < n; i++) {
            if (address >= bufStart[i] && end <= bufEnd[i]) {
                return bufDesc[i];
            }
        }
        if ((caps.mrMode() & Fi.FI_MR_LOCAL) != 0) {
            throw new IllegalArgumentException("write source is not registered memory of this connection;"
                    + " use allocateBuffer() or receiveSlot()");
        }
        return 0;
    }

    @Override
    public void write(int peerSlot, MemorySegment source, long offset, int length, int immediate) {
        if (peerSlot < 0 || peerSlot >= peer.slots()) {
            throw new IllegalArgumentException("peer slot " + peerSlot + " outside 0.." + (peer.slots() - 1));
        }
        if (length < 0 || length > peer.slotSize()) {
            throw new IllegalArgumentException("length " + length + " exceeds the peer's slot size " + peer.slotSize());
        }
        if (offset < 0 || offset + length > source.byteSize()) {
            throw new IndexOutOfBoundsException("offset " + offset + " + length " + length
                    + " outside the source's " + source.byteSize() + " bytes");
        }
        enterOrThrow();
        try {
            checkFailure(false);
            txRingAt = RING_NOW;
            long src = source.address() + offset;
            long desc = descriptorFor(src, length);
            if (peerRma) {
                writeRma(peerSlot, src, desc, length, immediate);
            } else {
                writeMsg(peerSlot, src, desc, length, immediate);
            }
        } catch (Throwable t) {
            throw Fi.rethrow(t);
        } finally {
            exit();
        }
    }

    private void writeRma(int peerSlot, long src, long desc, int length, int immediate) throws Throwable {
        long data = (immediate & 0xFFFFFFFFL) | ((long) peerSlot << 32);
        long remote = peerRmaBase + peerSlot * peerStride + Hello.SLOT_DATA_OFFSET;
        if (length < LENGTH_ESCAPE) {
            data |= (long) length << 42;
            if (length <= caps.injectSize()) {
                long r;
                while ((r = (long) Fi.CALL_INJECT_WRITEDATA.invokeExact(fnInjectWritedata, ep, src, (long) length,
                        data, peerAddr, remote, peerRmaKey)) == -Fi.FI_EAGAIN) {
                    progressWhileBlocked();
                }
                checkPosted(r, "fi_inject_writedata");
                posted();
                return;
            }
            long r;
            while ((r = (long) Fi.CALL_WRITEDATA.invokeExact(fnWritedata, ep, src, (long) length, desc, data,
                    peerAddr, remote, peerRmaKey, txContext)) == -Fi.FI_EAGAIN) {
                progressWhileBlocked();
            }
            checkPosted(r, "fi_writedata");
            posted();
            awaitTx("fi_writedata");
            return;
        }
        // Long write: the length word and the payload land in one contiguous remote range.
        data |= (long) LENGTH_ESCAPE << 42;
        long lenWordOff = scratchOffset;
        region.set(JAVA_LONG, lenWordOff, length);
        long iovSize = Fi.IOVEC.byteSize();
        iovs.set(JAVA_LONG, 0, region.address() + lenWordOff);
        iovs.set(JAVA_LONG, 8, 8);
        iovs.set(JAVA_LONG, iovSize, src);
        iovs.set(JAVA_LONG, iovSize + 8, length);
        descs.set(JAVA_LONG, 0, regionDesc);
        descs.set(JAVA_LONG, 8, desc);
        rmaIov.set(JAVA_LONG, Fi.off(Fi.FI_RMA_IOV, "addr"), remote - 8);
        rmaIov.set(JAVA_LONG, Fi.off(Fi.FI_RMA_IOV, "len"), 8L + length);
        rmaIov.set(JAVA_LONG, Fi.off(Fi.FI_RMA_IOV, "key"), peerRmaKey);
        msgRma.set(ADDRESS, Fi.off(Fi.FI_MSG_RMA, "msg_iov"), iovs);
        msgRma.set(ADDRESS, Fi.off(Fi.FI_MSG_RMA, "desc"), descs);
        msgRma.set(JAVA_LONG, Fi.off(Fi.FI_MSG_RMA, "iov_count"), 2);
        msgRma.set(JAVA_LONG, Fi.off(Fi.FI_MSG_RMA, "addr"), peerAddr);
        msgRma.set(ADDRESS, Fi.off(Fi.FI_MSG_RMA, "rma_iov"), rmaIov);
        msgRma.set(JAVA_LONG, Fi.off(Fi.FI_MSG_RMA, "rma_iov_count"), 1);
        msgRma.set(ADDRESS, Fi.off(Fi.FI_MSG_RMA, "context"), txContext);
        msgRma.set(JAVA_LONG, Fi.off(Fi.FI_MSG_RMA, "data"), data);
        long r;
        while ((r = (long) Fi.CALL_WRITEMSG.invokeExact(fnWritemsg, ep, msgRma,
                Fi.FI_REMOTE_CQ_DATA | (1L << 24) /* FI_COMPLETION */)) == -Fi.FI_EAGAIN) {
            progressWhileBlocked();
        }
        checkPosted(r, "fi_writemsg");
        posted();
        awaitTx("fi_writemsg");
    }

    private void writeMsg(int peerSlot, long src, long desc, int length, int immediate) throws Throwable {
        long data = immediate & 0xFFFFFFFFL;
        if (length <= caps.injectSize()) {
            long r;
            while ((r = (long) Fi.CALL_TINJECTDATA.invokeExact(fnTinjectdata, ep, src, (long) length, data, peerAddr,
                    (long) peerSlot)) == -Fi.FI_EAGAIN) {
                progressWhileBlocked();
            }
            checkPosted(r, "fi_tinjectdata");
            posted();
            return;
        }
        long r;
        while ((r = (long) Fi.CALL_TSENDDATA.invokeExact(fnTsenddata, ep, src, (long) length, desc, data, peerAddr,
                (long) peerSlot, txContext)) == -Fi.FI_EAGAIN) {
            progressWhileBlocked();
        }
        checkPosted(r, "fi_tsenddata");
        posted();
        awaitTx("fi_tsenddata");
    }

    private void checkPosted(long r, String what) {
        if (r != 0) {
            checkFailure(false);
            PeerFailedException e = new PeerFailedException(what + " to " + peerDescription + " failed: "
                    + Fi.strerror(r));
            fail(e);
            throw e;
        }
    }

    /** Drives manual progress (reading the send CQ) while the provider pushes back. */
    private void progressWhileBlocked() throws Throwable {
        long n = (long) Fi.CALL_CQ_READ.invokeExact(fnTxRead, txCq, txEntry, 1L);
        if (n == 1) {
            throw new TransportException("unexpected send completion while no operation was outstanding");
        }
        if (n == -Fi.FI_EAVAIL) {
            throw cqError(txCq, "send");
        }
        checkFailure(false);
        ringWhileWaiting();
        Thread.onSpinWait();
    }

    /** Spins on the send CQ until the one outstanding operation completed. */
    private void awaitTx(String what) throws Throwable {
        while (true) {
            long n = (long) Fi.CALL_CQ_READ.invokeExact(fnTxRead, txCq, txEntry, 1L);
            if (n == 1) {
                return;
            }
            if (n == -Fi.FI_EAVAIL) {
                throw cqError(txCq, what);
            }
            if (n != -Fi.FI_EAGAIN) {
                throw new TransportException("fi_cq_read(send) failed: " + Fi.strerror(n));
            }
            checkFailure(false);
            ringWhileWaiting();
            Thread.onSpinWait();
        }
    }

    private RuntimeException cqError(MemorySegment cq, String what) throws Throwable {
        MemorySegment fn = Fi.fn(cq, Fi.off(Fi.FID_CQ, "ops"), Fi.FI_OPS_CQ, "readerr");
        long r = (long) Fi.CALL_CQ_READERR.invokeExact(fn, cq, errEntry, 0L);
        int err = r >= 0 ? errEntry.get(JAVA_INT, Fi.CQERR_ERR) : (int) -r;
        if (err == Fi.FI_ETRUNC) {
            return fatal(new ProtocolException(ProtocolError.OVERSIZED,
                    "a message from " + peerDescription + " was larger than the slot it targeted"));
        }
        RuntimeException f = failure;
        if (f != null) {
            return f;
        }
        PeerFailedException e = new PeerFailedException(what + " with " + peerDescription + " failed: "
                + Fi.strerror(err) + " (provider errno " + errEntry.get(JAVA_INT, Fi.CQERR_PROV_ERRNO) + ")");
        fail(e);
        return e;
    }

    private RuntimeException fatal(ProtocolException e) {
        fail(e);
        closeSocket();
        return e;
    }

    @Override
    public boolean poll(Completion into) {
        enterOrThrow();
        try {
            if (announcedWarm) {
                announcedWarm = false; // back to polling: the peer may stop ringing
                announce(OobFrame.TYPE_HOT, 0);
            }
            if (earlyNext != earlyCount && takeEarly(into)) {
                return true;
            }
            long n = (long) Fi.CALL_CQ_READ.invokeExact(fnRxRead, rxCq, rxEntry, 1L);
            return completed(n, into);
        } catch (Throwable t) {
            throw Fi.rethrow(t);
        } finally {
            exit();
        }
    }

    private boolean completed(long n, Completion into) throws Throwable {
        if (n == 1) {
            decode(into);
            return true;
        }
        if (n == -Fi.FI_EAGAIN || n == -Fi.FI_ETIMEDOUT) {
            checkFailure(true);
            return false;
        }
        if (n == -Fi.FI_EAVAIL) {
            throw cqError(rxCq, "receive");
        }
        throw new TransportException("fi_cq_read(receive) failed: " + Fi.strerror(n));
    }

    private void decode(Completion into) {
        long flags = rxEntry.get(JAVA_LONG, Fi.CQE_FLAGS);
        long data = rxEntry.get(JAVA_LONG, Fi.CQE_DATA);
        if ((flags & Fi.FI_REMOTE_CQ_DATA) == 0) {
            throw fatal(new ProtocolException(ProtocolError.BAD_FIELD,
                    "completion from " + peerDescription + " carries no immediate (flags 0x" + Long.toHexString(flags) + ")"));
        }
        int slot;
        long length;
        if (caps.mode() == DataMode.RMA) {
            slot = (int) ((data >>> 32) & 0x3FF);
            length = data >>> 42;
            if (slot >= local.slots()) {
                throw fatal(new ProtocolException(ProtocolError.BAD_INDEX,
                        "write into slot " + slot + ", this side registered " + local.slots()));
            }
            if (length == LENGTH_ESCAPE) {
                length = region.get(JAVA_LONG, slot * stride + Hello.SLOT_DATA_OFFSET - 8);
            }
        } else {
            long tag = rxEntry.get(JAVA_LONG, Fi.CQE_TAG);
            if (tag < 0 || tag >= local.slots()) {
                throw fatal(new ProtocolException(ProtocolError.BAD_INDEX,
                        "message for slot " + tag + ", this side registered " + local.slots()));
            }
            slot = (int) tag;
            length = rxEntry.get(JAVA_LONG, Fi.CQE_LEN);
        }
        if (length < 0 || length > local.slotSize()) {
            throw fatal(new ProtocolException(ProtocolError.OVERSIZED,
                    "write of " + length + " bytes into a " + local.slotSize() + "-byte slot"));
        }
        consumed++;
        into.set(slot, (int) length, (int) data);
    }

    @Override
    public boolean await(Completion into, long timeoutNanos) {
        if (timeoutNanos <= 0) {
            return poll(into);
        }
        long deadline = System.nanoTime() + timeoutNanos;
        enterOrThrow();
        try {
            if (earlyNext != earlyCount && takeEarly(into)) {
                return true;
            }
            WarmWaiter w = waiter;
            w.begin();
            try {
                while (true) {
                    long n = (long) Fi.CALL_CQ_READ.invokeExact(fnRxRead, rxCq, rxEntry, 1L);
                    if (completed(n, into)) {
                        return true;
                    }
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        return false;
                    }
                    if (w.step(into, remaining)) {
                        return true;
                    }
                    if (closed) {
                        throw new TransportException("fabric connection to " + peerDescription + " was closed during await");
                    }
                }
            } finally {
                w.end();
            }
        } catch (Throwable t) {
            throw Fi.rethrow(t);
        } finally {
            exit();
        }
    }

    // ---- what the warm waiters use (receiving thread) ---------------------------------------------

    /** One {@code fi_cq_sread} on the data receive CQ ({@link CqWaiter}). */
    boolean sreadReceive(Completion into, int millis) throws Throwable {
        long n = (long) Fi.CALL_CQ_SREAD.invokeExact(fnRxSread, rxCq, rxEntry, 1L, MemorySegment.NULL, millis);
        return completed(n, into);
    }

    boolean announcedWarm() {
        return announcedWarm;
    }

    /** Tells the peer this side sleeps from now on, with the messages consumed so far. */
    void announceWarm() {
        announcedWarm = true;
        announce(OobFrame.TYPE_WARM, consumed);
    }

    /** Messages taken from the receive CQ so far. */
    long consumed() {
        return consumed;
    }

    /** The highest write count a nudge carried ({@link EndpointWaiter}). */
    long nudgedWritten() {
        return nudgedWritten;
    }

    /** The highest write count a TYPE_WAKE frame carried ({@link SocketWaiter}). */
    long rungWritten() {
        return rungWritten;
    }

    /** The thread a TYPE_WAKE (or failure, or close) unparks; {@code null} when none sleeps. */
    void sleepOn(Thread thread) {
        sleeper = thread;
    }

    /** One {@code fi_cq_sread} on the wake-up endpoint's CQ, taking the nudges that arrived ({@link EndpointWaiter}). */
    void sreadNudge(int millis) throws Throwable {
        long m = (long) Fi.CALL_CQ_SREAD.invokeExact(fnWakeRxSread, wakeRxCq, wakeEntry, 1L, MemorySegment.NULL, millis);
        if (m == 1) {
            takeNudge();
            drainNudges();
        } else if (m == -Fi.FI_EAVAIL) {
            throw cqError(wakeRxCq, "wake-up endpoint");
        }
    }

    @Override
    public void release(int slot) {
        if (slot < 0 || slot >= local.slots()) {
            throw new IllegalArgumentException("slot " + slot + " outside 0.." + (local.slots() - 1));
        }
        if (caps.mode() == DataMode.MSG) {
            enterOrThrow();
            try {
                postReceive(slot);
            } catch (Throwable t) {
                throw Fi.rethrow(t);
            } finally {
                exit();
            }
        }
    }

    private void postReceive(int slot) throws Throwable {
        long buf = region.address() + slot * stride + Hello.SLOT_DATA_OFFSET;
        long ctx = rxContexts.address() + slot * Fi.FI_CONTEXT2_SIZE;
        long r;
        while ((r = (long) Fi.CALL_TRECV.invokeExact(fnTrecv, ep, buf, (long) local.slotSize(), regionDesc,
                Fi.FI_ADDR_UNSPEC, (long) slot, 0L, ctx)) == -Fi.FI_EAGAIN) {
            Thread.onSpinWait();
        }
        Fi.check(r, "fi_trecv(slot " + slot + ")");
    }

    @Override
    public long fetchAndAdd(int index, long delta) {
        if (index < 0 || index >= peer.counters()) {
            throw new IllegalArgumentException("counter " + index + " outside the peer's " + peer.counters());
        }
        enterOrThrow();
        try {
            checkFailure(false);
            return peerNativeAtomics ? fetchAddNative(index, delta) : fetchAddEmulated(index, delta);
        } catch (Throwable t) {
            throw Fi.rethrow(t);
        } finally {
            exit();
        }
    }

    private long fetchAddNative(int index, long delta) throws Throwable {
        txRingAt = RING_NOW;
        long operand = scratchOffset + 8;
        long result = scratchOffset + 16;
        region.set(JAVA_LONG, operand, delta);
        long remote = peerRmaBase + peerCounterOffset + 8L * index;
        long r;
        while ((r = (long) Fi.CALL_FETCH_ATOMIC.invokeExact(fnFetchAtomic, ep, region.asSlice(operand, 8), 1L,
                MemorySegment.ofAddress(regionDesc), region.asSlice(result, 8), MemorySegment.ofAddress(regionDesc),
                peerAddr, remote, peerRmaKey, Fi.FI_UINT64, Fi.FI_SUM, txContext)) == -Fi.FI_EAGAIN) {
            progressWhileBlocked();
        }
        checkPosted(r, "fi_fetch_atomic");
        awaitTx("fi_fetch_atomic");
        return region.get(JAVA_LONG, result);
    }

    private long fetchAddEmulated(int index, long delta) throws IOException {
        faaReplyReady = false;
        faaWaiter = Thread.currentThread();
        try {
            oobChannel.send(OobFrame.TYPE_FAA_REQUEST, index, delta);
            while (!faaReplyReady) {
                checkFailure(false);
                LockSupport.parkNanos(1_000_000);
            }
            return faaReply;
        } catch (IOException e) {
            checkFailure(false);
            throw new PeerFailedException("fetch-and-add to " + peerDescription + " failed: " + e, e);
        } finally {
            faaWaiter = null;
        }
    }

    @Override
    public long localCounter(int index) {
        if (index < 0 || index >= local.counters()) {
            throw new IllegalArgumentException("counter " + index + " outside 0.." + (local.counters() - 1));
        }
        return (long) COUNTER.getVolatile(region, counterOffset + 8L * index);
    }

    @Override
    public boolean isOpen() {
        return !closed && failure == null;
    }

    private void closeSocket() {
        try {
            oob.close();
        } catch (IOException e) {
            LOG.debug("closing out-of-band socket", e);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        oobChannel.stopHeartbeats();
        sayBye();
        closeSocket();
        transport.forget(this);
        Thread s = sleeper;
        if (s != null) {
            LockSupport.unpark(s);
        }
        // A thread in fi_cq_sread leaves within a slice; wait for it to leave native code.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while ((int) BUSY.getVolatile(this) > 0) {
            if (System.nanoTime() > deadline) {
                LOG.warn("fabric connection to {}: a thread is still inside libfabric after 2 s; leaking its"
                        + " native resources rather than freeing them under it", peerDescription);
                return;
            }
            LockSupport.parkNanos(1_000_000);
        }
        joinLiveness();
        freeNative();
    }

    /** Waits for the out-of-band thread: it may be adding to a counter in the region, which must outlive it. */
    private void joinLiveness() {
        if (liveness != null) {
            try {
                liveness.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Tells a live peer this close is orderly, so that it may fi_close its endpoint (see freeNative). */
    private void sayBye() {
        if (failure != null) {
            return;
        }
        try {
            oobChannel.send(OobFrame.TYPE_BYE, 0, 0);
        } catch (IOException e) {
            LOG.debug("could not say goodbye to {}: {}", peerDescription, e.toString());
        }
    }

    private void closeQuietly() {
        closed = true;
        oobChannel.stopHeartbeats();
        closeSocket();
        joinLiveness();
        freeNative();
    }

    /** Registered bytes kept by connections whose endpoint could not be closed safely (see freeNative). */
    private static final AtomicLong LEAKED_BYTES = new AtomicLong();
    /** {@code -Drfaas.fabric.closeFailedEndpoints=true} closes them anyway (for a libfabric without the bug). */
    private static final AtomicBoolean LEAK_WARNED =
            new AtomicBoolean();

    private synchronized void freeNative() {
        if (failure != null && !peerSaidBye && !transport.context().closeFailedEndpoints() && !ep.equals(MemorySegment.NULL)) {
            // libfabric 1.17's ofi_rxm crashes (NULL op_context in rxm_handle_comp_error) when fi_close
            // flushes operations the tcp core cancelled because the peer died: the JVM takes SIGSEGV.
            // The endpoint of a connection whose peer died (no goodbye) or failed is therefore never
            // closed; it, its CQs, AV, MRs and region stay allocated (nobody progresses them again),
            // bounded by the number of failed peers. An orderly close by the peer is safe to follow.
            long total = LEAKED_BYTES.addAndGet(region.byteSize());
            if (LEAK_WARNED.compareAndSet(false, true)) {
                LOG.warn("fabric connection to {} failed ({}); not closing its endpoint and keeping its"
                        + " {} KiB of registered memory, because fi_close after a peer death crashes ofi_rxm"
                        + " in libfabric 1.17 (logged once; details at DEBUG)", peerDescription, failure.getMessage(),
                        region.byteSize() / 1024);
            } else {
                LOG.debug("fabric connection to {} failed ({}); kept its endpoint and {} KiB ({} KiB in"
                        + " all so far)", peerDescription, failure.getMessage(), region.byteSize() / 1024, total / 1024);
            }
            ep = MemorySegment.NULL;
            wakeEp = MemorySegment.NULL;
            return;
        }
        // Endpoints first: they reference the CQs, AV and (FI_MR_ENDPOINT) the MRs.
        Fi.close(wakeEp);
        wakeEp = MemorySegment.NULL;
        Fi.close(ep);
        ep = MemorySegment.NULL;
        for (int i = 0; i < bufCount; i++) {
            Fi.close(bufMr[i]);
        }
        bufCount = 0;
        Fi.close(regionMr);
        regionMr = MemorySegment.NULL;
        Fi.close(txCq);
        txCq = MemorySegment.NULL;
        Fi.close(rxCq);
        rxCq = MemorySegment.NULL;
        Fi.close(wakeTxCq);
        wakeTxCq = MemorySegment.NULL;
        Fi.close(wakeRxCq);
        wakeRxCq = MemorySegment.NULL;
        Fi.close(av);
        av = MemorySegment.NULL;
        arena.close();
    }

    @Override
    public String toString() {
        return "FabricConnection[" + peerDescription + ", " + caps.mode() + "]";
    }
}
