package org.rfaas.transport.fabric;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.fabric.FabricCapabilities.DataMode;

/**
 * One opened libfabric domain: the {@code fi_info} chosen for a provider (and, for socket-address
 * providers, a local interface), its fabric and domain objects, and the capabilities detected on
 * them. Endpoints of every connection over that interface are created from it.
 */
final class FabricDomain implements AutoCloseable {

    private static final String MODE_PROPERTY = FabricContext.MODE_PROPERTY;
    private static final String ATOMICS_PROPERTY = FabricContext.ATOMICS_PROPERTY;

    private static final long ACCESS = Fi.FI_READ | Fi.FI_WRITE | Fi.FI_REMOTE_READ | Fi.FI_REMOTE_WRITE;

    final MemorySegment info;
    final MemorySegment fabric;
    final MemorySegment domain;
    final FabricCapabilities caps;
    final boolean socketAddresses;
    /** Endpoints opened ahead of the connections that will use them. */
    final EndpointPool pool = new EndpointPool(this);

    private FabricDomain(MemorySegment info, MemorySegment fabric, MemorySegment domain, FabricCapabilities caps,
            boolean socketAddresses) {
        this.info = info;
        this.fabric = fabric;
        this.domain = domain;
        this.caps = caps;
        this.socketAddresses = socketAddresses;
    }

    /** The libfabric provider string for a transport variant: tcp and verbs need ofi_rxm for FI_EP_RDM. */
    static String providerFor(String variant) {
        return switch (variant.toLowerCase(Locale.ROOT)) {
            case "tcp" -> "tcp;ofi_rxm";
            case "verbs" -> "verbs;ofi_rxm";
            case "udp" -> "udp;ofi_rxd";
            default -> variant;
        };
    }

    /**
     * Finds the provider with {@code fi_getinfo}, trying the richest capability set first, then
     * opens fabric and domain.
     *
     * @param localNode the numeric local address to bind socket-address providers to, or
     *     {@code null} for the provider's default
     */
    static FabricDomain open(String variant, String localNode, FabricContext context) {
        Fi.requireLibrary();
        String provider = providerFor(variant);
        long[] capSets = {
            Fi.FI_TAGGED | Fi.FI_RMA | Fi.FI_ATOMIC, Fi.FI_TAGGED | Fi.FI_RMA, Fi.FI_TAGGED | Fi.FI_ATOMIC, Fi.FI_TAGGED,
        };
        int[] progress = {Fi.FI_PROGRESS_MANUAL, Fi.FI_PROGRESS_UNSPEC};
        int last = -Fi.FI_ENODATA;
        MemorySegment chosen = null;
        outer:
        for (long capSet : capSets) {
            for (int p : progress) {
                MemorySegment found = getinfo(provider, capSet | ACCESS | Fi.FI_SEND | Fi.FI_RECV, p, null);
                if (found == null) {
                    continue;
                }
                int format = found.get(JAVA_INT, Fi.INFO_ADDR_FORMAT);
                boolean sock = format == Fi.FI_SOCKADDR || format == Fi.FI_SOCKADDR_IN || format == Fi.FI_SOCKADDR_IN6;
                if (sock && localNode != null) {
                    MemorySegment bound = getinfo(provider, capSet | ACCESS | Fi.FI_SEND | Fi.FI_RECV, p, localNode);
                    Fi.freeinfo(found);
                    if (bound == null) {
                        continue;
                    }
                    found = bound;
                }
                chosen = found;
                break outer;
            }
        }
        if (chosen == null) {
            throw new TransportException("libfabric offers no FI_EP_RDM endpoint with FI_TAGGED for provider '"
                    + provider + "' on this machine" + (localNode == null ? "" : " at " + localNode)
                    + "; see `rfaas fabric-info` and `fi_info -l` for what is available");
        }
        return openChosen(variant, provider, chosen, context);
    }

    private static MemorySegment getinfo(String provider, long caps, int progress, String node) {
        MemorySegment hints = Fi.allocinfo();
        try (Arena a = Arena.ofConfined()) {
            hints.set(JAVA_LONG, Fi.INFO_CAPS, caps);
            // We hand a struct fi_context2 to every operation, so providers may use it.
            hints.set(JAVA_LONG, Fi.INFO_MODE, Fi.FI_CONTEXT | Fi.FI_CONTEXT2);
            MemorySegment ep = Fi.ptr(hints, Fi.INFO_EP_ATTR, Fi.FI_EP_ATTR.byteSize());
            ep.set(JAVA_INT, Fi.EP_TYPE, Fi.FI_EP_RDM);
            MemorySegment dom = Fi.ptr(hints, Fi.INFO_DOMAIN_ATTR, Fi.FI_DOMAIN_ATTR.byteSize());
            dom.set(JAVA_INT, Fi.DOM_MR_MODE,
                    Fi.FI_MR_LOCAL | Fi.FI_MR_VIRT_ADDR | Fi.FI_MR_ALLOCATED | Fi.FI_MR_PROV_KEY | Fi.FI_MR_ENDPOINT);
            // Sender and receiver threads use one endpoint concurrently.
            dom.set(JAVA_INT, Fi.DOM_THREADING, Fi.FI_THREAD_SAFE);
            dom.set(JAVA_INT, Fi.DOM_DATA_PROGRESS, progress);
            MemorySegment fab = Fi.ptr(hints, Fi.INFO_FABRIC_ATTR, Fi.FI_FABRIC_ATTR.byteSize());
            fab.set(ADDRESS, Fi.FAB_PROV_NAME, Fi.strdup(provider));
            MemorySegment out = a.allocate(ADDRESS);
            long flags = 0;
            MemorySegment nodeStr = MemorySegment.NULL;
            if (node != null) {
                nodeStr = a.allocateFrom(node);
                flags = Fi.FI_SOURCE;
            }
            int ret = Fi.getinfo(Fi.API_VERSION, nodeStr, MemorySegment.NULL, flags, hints, out);
            if (ret != 0) {
                return null;
            }
            return out.get(ADDRESS, 0).reinterpret(Fi.FI_INFO.byteSize());
        } finally {
            Fi.freeinfo(hints);
        }
    }

    private static FabricDomain openChosen(String variant, String provider, MemorySegment info,
            FabricContext context) {
        MemorySegment fabric = MemorySegment.NULL;
        MemorySegment domain = MemorySegment.NULL;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fabAttr = Fi.ptr(info, Fi.INFO_FABRIC_ATTR, Fi.FI_FABRIC_ATTR.byteSize());
            MemorySegment out = a.allocate(ADDRESS);
            Fi.check(Fi.fabric(fabAttr, out), "fi_fabric(" + provider + ")");
            fabric = out.get(ADDRESS, 0).reinterpret(Fi.FID_FABRIC.byteSize());
            MemorySegment domainFn = Fi.fn(fabric, Fi.off(Fi.FID_FABRIC, "ops"), Fi.FI_OPS_FABRIC, "domain");
            Fi.check((int) Fi.CALL_OPEN4.invokeExact(domainFn, fabric, info, out, MemorySegment.NULL),
                    "fi_domain(" + provider + ")");
            domain = out.get(ADDRESS, 0).reinterpret(Fi.FID_DOMAIN.byteSize());

            long infoCaps = info.get(JAVA_LONG, Fi.INFO_CAPS);
            MemorySegment tx = Fi.ptr(info, Fi.INFO_TX_ATTR, Fi.FI_TX_ATTR.byteSize());
            MemorySegment ep = Fi.ptr(info, Fi.INFO_EP_ATTR, Fi.FI_EP_ATTR.byteSize());
            MemorySegment dom = Fi.ptr(info, Fi.INFO_DOMAIN_ATTR, Fi.FI_DOMAIN_ATTR.byteSize());
            int format = info.get(JAVA_INT, Fi.INFO_ADDR_FORMAT);
            boolean sock = format == Fi.FI_SOCKADDR || format == Fi.FI_SOCKADDR_IN || format == Fi.FI_SOCKADDR_IN6;
            boolean rma = (infoCaps & Fi.FI_RMA) != 0;
            boolean tagged = (infoCaps & Fi.FI_TAGGED) != 0;
            boolean atomics = (infoCaps & Fi.FI_ATOMIC) != 0;
            long cqData = dom.get(JAVA_LONG, Fi.DOM_CQ_DATA_SIZE);
            boolean fetchAddValid = atomics && queryFetchAdd(domain, a);
            boolean waitObjects = probeWaitObjects(domain, a);

            String forcedMode = context.dataMode();
            boolean rmaUsable = rma && cqData >= 8;
            DataMode mode = switch (forcedMode) {
                case "auto" -> rmaUsable ? DataMode.RMA : DataMode.MSG;
                case "rma" -> {
                    if (!rmaUsable) {
                        throw new TransportException(MODE_PROPERTY + "=rma but provider " + provider
                                + " offers " + (rma ? "only " + cqData + " B of remote CQ data (8 needed)" : "no FI_RMA"));
                    }
                    yield DataMode.RMA;
                }
                case "msg" -> DataMode.MSG;
                default -> throw new TransportException(MODE_PROPERTY + " must be auto, rma or msg, not " + forcedMode);
            };
            if (mode == DataMode.MSG && cqData < 4) {
                throw new TransportException("provider " + provider + " carries only " + cqData
                        + " B of remote CQ data; the 32-bit immediate needs 4");
            }
            String forcedAtomics = context.atomics();
            boolean nativeFaa = switch (forcedAtomics) {
                case "auto" -> fetchAddValid;
                case "native" -> {
                    if (!fetchAddValid) {
                        throw new TransportException(ATOMICS_PROPERTY + "=native but provider " + provider
                                + " has no FI_ATOMIC fetch-and-add on FI_UINT64");
                    }
                    yield true;
                }
                case "emulated" -> false;
                default -> throw new TransportException(
                        ATOMICS_PROPERTY + " must be auto, native or emulated, not " + forcedAtomics);
            };
            FabricCapabilities caps = new FabricCapabilities(variant, provider,
                    Fi.ptr(Fi.ptr(info, Fi.INFO_FABRIC_ATTR, Fi.FI_FABRIC_ATTR.byteSize()), Fi.FAB_PROV_NAME, 256)
                            .getString(0),
                    Fi.ptr(Fi.ptr(info, Fi.INFO_FABRIC_ATTR, Fi.FI_FABRIC_ATTR.byteSize()), Fi.FAB_NAME, 256)
                            .getString(0),
                    Fi.ptr(dom, Fi.DOM_NAME, 256).getString(0),
                    ep.get(JAVA_INT, Fi.EP_TYPE), rma, tagged, atomics, fetchAddValid, cqData,
                    dom.get(JAVA_INT, Fi.DOM_MR_MODE), dom.get(JAVA_INT, Fi.DOM_DATA_PROGRESS), waitObjects,
                    tx.get(JAVA_LONG, Fi.TX_INJECT_SIZE), tx.get(JAVA_LONG, Fi.TX_IOV_LIMIT),
                    ep.get(JAVA_LONG, Fi.EP_MAX_MSG_SIZE), mode, nativeFaa, context.warmWait());
            return new FabricDomain(info, fabric, domain, caps, sock);
        } catch (Throwable t) {
            Fi.close(domain);
            Fi.close(fabric);
            Fi.freeinfo(info);
            throw Fi.rethrow(t);
        }
    }

    private static boolean queryFetchAdd(MemorySegment domain, Arena a) throws Throwable {
        MemorySegment fn = Fi.fn(domain, Fi.off(Fi.FID_DOMAIN, "ops"), Fi.FI_OPS_DOMAIN, "query_atomic");
        if (fn.equals(MemorySegment.NULL)) {
            return false;
        }
        MemorySegment attr = a.allocate(Fi.FI_ATOMIC_ATTR);
        int ret = (int) Fi.CALL_QUERY_ATOMIC.invokeExact(fn, domain, Fi.FI_UINT64, Fi.FI_SUM, attr, Fi.FI_FETCH_ATOMIC);
        return ret == 0 && attr.get(JAVA_LONG, 0) >= 1;
    }

    /**
     * Opens and closes a CQ with FI_WAIT_FD: the only reliable way to learn if a warm wait can
     * sleep in the kernel. A file-descriptor wait is required, not FI_WAIT_UNSPEC: shm 1.17 accepts
     * UNSPEC but then waits by yielding, and its fi_cq_sread never returns once the peer died.
     */
    private static boolean probeWaitObjects(MemorySegment domain, Arena a) throws Throwable {
        MemorySegment cq = openCq(domain, 16, Fi.FI_WAIT_FD, a);
        if (cq == null) {
            return false;
        }
        Fi.close(cq);
        return true;
    }

    /** {@code fi_cq_open} with the tagged entry format; {@code null} when the provider refuses. */
    static MemorySegment openCq(MemorySegment domain, long size, int waitObj, Arena a) throws Throwable {
        MemorySegment attr = a.allocate(Fi.FI_CQ_ATTR);
        attr.set(JAVA_LONG, Fi.off(Fi.FI_CQ_ATTR, "size"), size);
        attr.set(JAVA_INT, Fi.off(Fi.FI_CQ_ATTR, "format"), Fi.FI_CQ_FORMAT_TAGGED);
        attr.set(JAVA_INT, Fi.off(Fi.FI_CQ_ATTR, "wait_obj"), waitObj);
        MemorySegment out = a.allocate(ADDRESS);
        MemorySegment fn = Fi.fn(domain, Fi.off(Fi.FID_DOMAIN, "ops"), Fi.FI_OPS_DOMAIN, "cq_open");
        int ret = (int) Fi.CALL_OPEN4.invokeExact(fn, domain, attr, out, MemorySegment.NULL);
        if (ret != 0) {
            return null;
        }
        return out.get(ADDRESS, 0).reinterpret(Fi.FID_CQ.byteSize());
    }

    @Override
    public void close() {
        pool.close();
        Fi.close(domain);
        Fi.close(fabric);
        Fi.freeinfo(info);
    }
}
