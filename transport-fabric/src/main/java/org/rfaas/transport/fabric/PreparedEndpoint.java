package org.rfaas.transport.fabric;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.rfaas.transport.TransportException;

/**
 * The part of a connection's endpoint that depends on no peer and no slot layout: the address
 * vector, the completion queues, the enabled FI_EP_RDM endpoint and, when asked, the enabled
 * wake-up endpoint. It is also the expensive part: {@code fi_enable} of an {@code ofi_rxm}
 * endpoint allocates and zeroes its bounce-buffer pools, 15-35 ms per endpoint on a 2-vCPU VM
 * whose page faults are slow, so an {@link EndpointPool} opens these ahead of time and a
 * {@link FabricEndpoint} adopts one; registering its region and posting its receives is cheap.
 */
final class PreparedEndpoint {
    /** Smallest receive CQ: room for every slot's completion twice and the warm-up's. */
    private static final long MIN_RX_CQ = 128;

    final boolean sreadWait;
    final boolean wakeEndpoint;
    final long rxCqSize;
    MemorySegment av = MemorySegment.NULL;
    MemorySegment txCq = MemorySegment.NULL;
    MemorySegment rxCq = MemorySegment.NULL;
    MemorySegment ep = MemorySegment.NULL;
    MemorySegment wakeTxCq = MemorySegment.NULL;
    MemorySegment wakeRxCq = MemorySegment.NULL;
    MemorySegment wakeEp = MemorySegment.NULL;

    private PreparedEndpoint(boolean sreadWait, boolean wakeEndpoint, long rxCqSize) {
        this.sreadWait = sreadWait;
        this.wakeEndpoint = wakeEndpoint;
        this.rxCqSize = rxCqSize;
    }

    /** The receive CQ size for a connection with {@code slots} receive slots: a power of two, at least 128. */
    static long rxCqSize(int slots) {
        long want = Math.max(MIN_RX_CQ, 2L * slots);
        return Long.highestOneBit(want - 1) << 1;
    }

    /**
     * Opens the AV, the CQs (the receive CQ with {@code FI_WAIT_FD} when {@code sreadWait}) and the
     * enabled endpoint, and the wake-up endpoint when {@code wakeEndpoint}.
     */
    static PreparedEndpoint open(FabricDomain dom, boolean sreadWait, boolean wakeEndpoint, long rxCqSize) {
        PreparedEndpoint p = new PreparedEndpoint(sreadWait, wakeEndpoint, rxCqSize);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            MemorySegment avAttr = a.allocate(Fi.FI_AV_ATTR);
            int avType = Fi.ptr(dom.info, Fi.INFO_DOMAIN_ATTR, Fi.FI_DOMAIN_ATTR.byteSize()).get(JAVA_INT, Fi.DOM_AV_TYPE);
            avAttr.set(JAVA_INT, Fi.off(Fi.FI_AV_ATTR, "type"), avType == Fi.FI_AV_UNSPEC ? Fi.FI_AV_TABLE : avType);
            avAttr.set(JAVA_LONG, Fi.off(Fi.FI_AV_ATTR, "count"), 4);
            Fi.check((int) Fi.CALL_OPEN4.invokeExact(Fi.fn(dom.domain, Fi.off(Fi.FID_DOMAIN, "ops"), Fi.FI_OPS_DOMAIN,
                    "av_open"), dom.domain, avAttr, out, MemorySegment.NULL), "fi_av_open");
            p.av = out.get(ADDRESS, 0).reinterpret(Fi.FID_AV.byteSize());

            p.txCq = FabricDomain.openCq(dom.domain, 64, Fi.FI_WAIT_NONE, a);
            p.rxCq = FabricDomain.openCq(dom.domain, rxCqSize, sreadWait ? Fi.FI_WAIT_FD : Fi.FI_WAIT_NONE, a);
            if (p.txCq == null || p.rxCq == null) {
                throw new TransportException("fi_cq_open failed for provider " + dom.caps.provider());
            }
            p.ep = newEndpoint(dom, "", a);
            p.bindAndEnable(p.ep, p.txCq, p.rxCq, "");
            if (wakeEndpoint) {
                p.openWakeEndpoint(dom, a);
            }
            return p;
        } catch (Throwable t) {
            p.close();
            throw Fi.rethrow(t);
        }
    }

    /**
     * The wake-up endpoint: same domain and AV, its own CQs (the receive CQ with FI_WAIT_FD). Memory
     * regions belong to the domain, so the connection's region serves its buffers (FI_MR_ENDPOINT
     * providers never get here).
     */
    private void openWakeEndpoint(FabricDomain dom, Arena a) throws Throwable {
        wakeTxCq = FabricDomain.openCq(dom.domain, 16, Fi.FI_WAIT_NONE, a);
        wakeRxCq = FabricDomain.openCq(dom.domain, 16, Fi.FI_WAIT_FD, a);
        if (wakeTxCq == null || wakeRxCq == null) {
            throw new TransportException("fi_cq_open failed for the wake-up endpoint of provider "
                    + dom.caps.provider());
        }
        // ofi_rxm sizes its buffer pools by its own parameters, not by this endpoint's queue
        // sizes (smaller tx/rx attributes were tried: no change): ~6 MiB with LibfabricLoad.PARAMETER_DEFAULTS.
        wakeEp = newEndpoint(dom, "wake-up ", a);
        bindAndEnable(wakeEp, wakeTxCq, wakeRxCq, "wake-up ");
    }

    /** {@code fi_endpoint} on the domain's info. */
    private static MemorySegment newEndpoint(FabricDomain dom, String which, Arena a) throws Throwable {
        MemorySegment out = a.allocate(ADDRESS);
        Fi.check((int) Fi.CALL_OPEN4.invokeExact(Fi.fn(dom.domain, Fi.off(Fi.FID_DOMAIN, "ops"), Fi.FI_OPS_DOMAIN,
                "endpoint"), dom.domain, dom.info, out, MemorySegment.NULL),
                which.isEmpty() ? "fi_endpoint" : "fi_endpoint(" + which.trim() + ")");
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

    static void bind(MemorySegment obj, MemorySegment target, long flags, String what) throws Throwable {
        Fi.check((int) Fi.CALL_BIND.invokeExact(Fi.fidFn(obj, "bind"), obj, target, flags), what);
    }

    /** Closes what is open, endpoints first (they reference the CQs and the AV); for one never adopted. */
    void close() {
        Fi.close(wakeEp);
        Fi.close(ep);
        Fi.close(txCq);
        Fi.close(rxCq);
        Fi.close(wakeTxCq);
        Fi.close(wakeRxCq);
        Fi.close(av);
        wakeEp = ep = txCq = rxCq = wakeTxCq = wakeRxCq = av = MemorySegment.NULL;
    }
}
