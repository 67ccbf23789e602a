package org.rfaas.transport.fabric;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.fabric.FabricCapabilities.DataMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The native side of one {@link FabricConnection}: its FI_EP_RDM endpoint with the address vector
 * and the send and receive completion queues, the registered region (receive slots, counters,
 * scratch words), the buffers registered by {@code allocateBuffer}, the optional wake-up endpoint,
 * the provider's function pointers (resolved once, so the data path makes no lookups) and the
 * per-operation scratch structures. Opening and freeing all of it is here; the connection, its
 * {@link FabricSender} and its {@link FabricReceiver} read the fields directly on their hot paths.
 *
 * <h2>Registered region</h2>
 * One page-aligned region registered with {@code fi_mr_reg}: {@code slots} strides of
 * {@code roundUp(slotSize + 64, 64)} bytes (data at offset 64, a length word at 56), then the
 * counters, then scratch words at {@link #scratchOffset}: +0 the long-write length word, +8/+16
 * the fetch-and-add operand and result, +24 the warm-up receive, +32 the warm-up send, +40 the
 * nudge receive, +48 the nudge source.
 */
final class FabricEndpoint {
    /** Tag of the warm-up message each side sends once the handshake is done (outside slot tags). */
    static final long WARMUP_TAG = 1L << 60;
    /** Tag of the empty messages sent to a sleeping peer's wake-up endpoint. */
    static final long NUDGE_TAG = WARMUP_TAG + 1;
    private static final Logger LOG = LoggerFactory.getLogger(FabricEndpoint.class);
    /** Registered bytes kept by endpoints that could not be closed safely (see {@link #release}). */
    private static final AtomicLong LEAKED_BYTES = new AtomicLong();
    private static final AtomicBoolean LEAK_WARNED = new AtomicBoolean();
    private static final long ACCESS = Fi.FI_READ | Fi.FI_WRITE | Fi.FI_REMOTE_READ | Fi.FI_REMOTE_WRITE
            | Fi.FI_SEND | Fi.FI_RECV;

    private final FabricTransport transport;
    final FabricDomain dom;
    final FabricCapabilities caps;
    final ConnectionSpec local;
    final Arena arena = Arena.ofShared();

    // native objects
    MemorySegment av = MemorySegment.NULL;
    MemorySegment ep = MemorySegment.NULL;
    MemorySegment txCq = MemorySegment.NULL;
    MemorySegment rxCq = MemorySegment.NULL;
    private MemorySegment regionMr = MemorySegment.NULL;
    // the wake-up endpoint (WarmWait.ENDPOINT only)
    MemorySegment wakeEp = MemorySegment.NULL;
    MemorySegment wakeTxCq = MemorySegment.NULL;
    MemorySegment wakeRxCq = MemorySegment.NULL;
    final MemorySegment region;
    final long stride;
    final long counterOffset;
    final long scratchOffset;
    long regionDesc;
    long regionKey;
    /** Whether {@link #open} took its native objects from the domain's {@link EndpointPool}. */
    boolean adopted;

    // function pointers, resolved once
    MemorySegment fnTxRead;
    MemorySegment fnRxRead;
    MemorySegment fnRxSread;
    MemorySegment fnWritedata;
    MemorySegment fnInjectWritedata;
    MemorySegment fnWritemsg;
    MemorySegment fnTrecv;
    MemorySegment fnTsenddata;
    MemorySegment fnTinjectdata;
    MemorySegment fnFetchAtomic;
    MemorySegment fnWakeTxRead;
    MemorySegment fnWakeRxRead;
    MemorySegment fnWakeRxSread;
    MemorySegment fnWakeTrecv;
    MemorySegment fnWakeTinjectdata;

    // per-operation scratch (not registered)
    final MemorySegment txEntry;
    final MemorySegment rxEntry;
    final MemorySegment errEntry;
    final MemorySegment txContext;
    final MemorySegment rxContexts;
    final MemorySegment msgRma;
    final MemorySegment iovs;
    final MemorySegment descs;
    final MemorySegment rmaIov;
    final MemorySegment wakeEntry;
    final MemorySegment wakeTxEntry;
    final MemorySegment nudgeContext;

    // allocateBuffer() segments: [start, end) and descriptor
    private long[] bufStart = new long[8];
    private long[] bufEnd = new long[8];
    private long[] bufDesc = new long[8];
    private MemorySegment[] bufMr = new MemorySegment[8];
    private volatile int bufCount;

    FabricEndpoint(FabricTransport transport, FabricDomain dom, ConnectionSpec local) {
        this.transport = transport;
        this.dom = dom;
        this.caps = dom.caps;
        this.local = local;
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

    static long roundUp(long v, long to) {
        return (v + to - 1) / to * to;
    }

    /**
     * Adopts a prepared endpoint of the right kind from the domain's pool, else opens one (the AV,
     * the CQs, the endpoint; see {@link PreparedEndpoint}); registers the region; resolves the
     * function pointers; posts the receives (one per slot in MSG mode, and the warm-up's).
     */
    void open(boolean sreadWait, boolean wakeEndpoint) {
        long rxCqSize = PreparedEndpoint.rxCqSize(local.slots());
        PreparedEndpoint p = dom.pool.take(sreadWait, wakeEndpoint, rxCqSize);
        adopted = p != null;
        if (p == null) {
            p = PreparedEndpoint.open(dom, sreadWait, wakeEndpoint, rxCqSize);
        }
        // From here on free() closes them.
        av = p.av;
        txCq = p.txCq;
        rxCq = p.rxCq;
        ep = p.ep;
        wakeTxCq = p.wakeTxCq;
        wakeRxCq = p.wakeRxCq;
        wakeEp = p.wakeEp;
        try (Arena a = Arena.ofConfined()) {
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
            if (wakeEndpoint) {
                fnWakeTxRead = Fi.fn(wakeTxCq, cqOps, Fi.FI_OPS_CQ, "read");
                fnWakeRxRead = Fi.fn(wakeRxCq, cqOps, Fi.FI_OPS_CQ, "read");
                fnWakeRxSread = Fi.fn(wakeRxCq, cqOps, Fi.FI_OPS_CQ, "sread");
                fnWakeTrecv = Fi.fn(wakeEp, taggedOps, Fi.FI_OPS_TAGGED, "recv");
                fnWakeTinjectdata = Fi.fn(wakeEp, taggedOps, Fi.FI_OPS_TAGGED, "injectdata");
                postNudgeReceive();
            }
        } catch (Throwable t) {
            throw Fi.rethrow(t);
        }
    }

    /** Whether this side has a wake-up endpoint. */
    boolean hasWakeEndpoint() {
        return !wakeEp.equals(MemorySegment.NULL);
    }

    /** The operation context of the warm-up receive (after the slots' contexts). */
    long warmUpContext() {
        return rxContexts.address() + local.slots() * Fi.FI_CONTEXT2_SIZE;
    }

    /** Posts the tagged receive of slot {@code slot} (MSG mode; again after each release). */
    void postReceive(int slot) throws Throwable {
        long buf = region.address() + slot * stride + Hello.SLOT_DATA_OFFSET;
        long ctx = rxContexts.address() + slot * Fi.FI_CONTEXT2_SIZE;
        long r;
        while ((r = (long) Fi.CALL_TRECV.invokeExact(fnTrecv, ep, buf, (long) local.slotSize(), regionDesc,
                Fi.FI_ADDR_UNSPEC, (long) slot, 0L, ctx)) == -Fi.FI_EAGAIN) {
            Thread.onSpinWait();
        }
        Fi.check(r, "fi_trecv(slot " + slot + ")");
    }

    /** Posts the wake-up endpoint's receive of the next nudge (into scratch +40). */
    void postNudgeReceive() throws Throwable {
        long r;
        while ((r = (long) Fi.CALL_TRECV.invokeExact(fnWakeTrecv, wakeEp, region.address() + scratchOffset + 40, 8L,
                regionDesc, Fi.FI_ADDR_UNSPEC, NUDGE_TAG, 0L, nudgeContext.address())) == -Fi.FI_EAGAIN) {
            Thread.onSpinWait();
        }
        Fi.check(r, "fi_trecv(nudge)");
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
            PreparedEndpoint.bind(mr, ep, 0, "fi_mr_bind");
            Fi.check((int) Fi.CALL_CONTROL.invokeExact(Fi.fidFn(mr, "control"), mr, Fi.FI_ENABLE, MemorySegment.NULL),
                    "fi_mr_enable");
        }
        return mr;
    }

    /** Allocates and registers a buffer of at least {@code bytes} (page-aligned); writes may start from it. */
    synchronized MemorySegment allocateBuffer(long bytes) {
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
        }
    }

    /** The descriptor of registered memory holding [address, address+length). */
    long descriptorFor(long address, long length) {
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

    /** This endpoint's name, then (when it has one) the wake-up endpoint's, as one array of two equal halves. */
    byte[] names() throws Throwable {
        byte[] name = name(ep);
        if (hasWakeEndpoint()) {
            byte[] wakeName = name(wakeEp);
            if (wakeName.length != name.length) {
                throw new TransportException("the wake-up endpoint's name has " + wakeName.length
                        + " bytes, the data endpoint's " + name.length);
            }
            name = java.util.Arrays.copyOf(name, 2 * name.length);
            System.arraycopy(wakeName, 0, name, wakeName.length, wakeName.length);
        }
        return name;
    }

    private static byte[] name(MemorySegment ep) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment name = a.allocate(Hello.MAX_NAME);
            MemorySegment len = a.allocate(JAVA_LONG);
            len.set(JAVA_LONG, 0, Hello.MAX_NAME);
            MemorySegment fn = Fi.fn(ep, Fi.off(Fi.FID_EP, "cm"), Fi.FI_OPS_CM, "getname");
            Fi.check((int) Fi.CALL_GETNAME.invokeExact(fn, ep, name, len), "fi_getname");
            return name.asSlice(0, len.get(JAVA_LONG, 0)).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }
    }

    /** Inserts a peer endpoint's name into the AV; returns its fi_addr. */
    long insertAddress(byte[] name) {
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
     * Frees everything ({@link #free}), unless {@code peerDied} (the connection failed and the peer
     * said no goodbye) and the endpoint is open: libfabric 1.17's ofi_rxm crashes (NULL op_context
     * in rxm_handle_comp_error) when fi_close flushes operations the tcp core cancelled because the
     * peer died, and the JVM takes SIGSEGV. Such an endpoint is never closed: it, its CQs, AV, MRs
     * and region stay allocated (nobody progresses them again), bounded by the number of failed
     * peers. An orderly close by the peer is safe to follow. ({@code -Drfaas.fabric.closeFailedEndpoints=true}
     * closes them anyway, for a libfabric without the bug: the caller passes {@code peerDied} false.)
     */
    synchronized void release(boolean peerDied, String peerDescription, RuntimeException failure) {
        if (!peerDied || ep.equals(MemorySegment.NULL)) {
            free();
            return;
        }
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
    }

    /** Closes every native object, endpoints first (they reference the CQs, AV and, FI_MR_ENDPOINT, the MRs), and frees the memory. */
    synchronized void free() {
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
}
