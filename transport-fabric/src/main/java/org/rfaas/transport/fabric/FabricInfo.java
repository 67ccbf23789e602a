package org.rfaas.transport.fabric;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.rfaas.transport.TransportException;

/** What libfabric offers on this machine, for {@code rfaas fabric-info}. */
public final class FabricInfo {
    private FabricInfo() {
    }

    /** The transport variants worth probing: the testable ones and the RDMA fabrics. */
    public static final List<String> KNOWN_VARIANTS = List.of("tcp", "shm", "sockets", "verbs", "efa", "cxi", "psm3", "opx");

    /** One probed variant: its capabilities, or why it cannot run here. */
    public record Probe(String variant, FabricCapabilities capabilities, String unavailable) {
    }

    /** {@code null} when libfabric loaded, else the reason with the install hint. */
    public static String libraryProblem() {
        return Fi.UNAVAILABLE;
    }

    /** libfabric's runtime version, e.g. {@code 1.17}. */
    public static String libraryVersion() {
        Fi.requireLibrary();
        int v = Fi.runtimeVersion();
        return (v >>> 16) + "." + (v & 0xFFFF);
    }

    /** Every {@code provider (endpoint type)} pair fi_getinfo returns without hints. */
    public static List<String> offered() {
        Fi.requireLibrary();
        TreeSet<String> out = new TreeSet<>();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment list = a.allocate(ADDRESS);
            int ret = Fi.getinfo(Fi.API_VERSION, MemorySegment.NULL, MemorySegment.NULL, 0, MemorySegment.NULL, list);
            if (ret != 0) {
                throw new TransportException("fi_getinfo failed: " + Fi.strerror(ret));
            }
            MemorySegment head = list.get(ADDRESS, 0);
            MemorySegment info = head.reinterpret(Fi.FI_INFO.byteSize());
            while (!info.equals(MemorySegment.NULL) && info.address() != 0) {
                MemorySegment fab = Fi.ptr(info, Fi.INFO_FABRIC_ATTR, Fi.FI_FABRIC_ATTR.byteSize());
                MemorySegment ep = Fi.ptr(info, Fi.INFO_EP_ATTR, Fi.FI_EP_ATTR.byteSize());
                int type = ep.get(JAVA_INT, Fi.EP_TYPE);
                String typeName = type == Fi.FI_EP_MSG ? "FI_EP_MSG" : type == Fi.FI_EP_RDM ? "FI_EP_RDM"
                        : type == 2 ? "FI_EP_DGRAM" : "type " + type;
                out.add(Fi.ptr(fab, Fi.FAB_PROV_NAME, 256).getString(0) + " " + typeName);
                info = Fi.ptr(info, Fi.INFO_NEXT, Fi.FI_INFO.byteSize());
            }
            Fi.freeinfo(head);
        }
        return new ArrayList<>(out);
    }

    /** Opens each variant's domain (no endpoint) and reports what the transport would use. */
    public static List<Probe> probe(List<String> variants) {
        List<Probe> out = new ArrayList<>();
        for (String v : variants) {
            try (FabricDomain d = FabricDomain.open(v, null, FabricContext.fromSystemProperties())) {
                out.add(new Probe(v, d.caps, null));
            } catch (TransportException e) {
                out.add(new Probe(v, null, e.getMessage()));
            }
        }
        return out;
    }
}
