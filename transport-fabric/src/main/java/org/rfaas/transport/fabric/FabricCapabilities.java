package org.rfaas.transport.fabric;

/**
 * What one libfabric provider offers on this machine, as detected with {@code fi_getinfo} and a
 * probe of its domain, and which data path the fabric transport derives from it.
 *
 * @param variant the name after {@code fabric:} (e.g. {@code tcp})
 * @param provider the libfabric provider string that was asked for (e.g. {@code tcp;ofi_rxm})
 * @param providerFound the provider chain libfabric returned
 * @param fabricName the fabric name (e.g. a subnet)
 * @param domainName the domain name (e.g. a NIC or interface)
 * @param endpointType {@code FI_EP_RDM} or {@code FI_EP_MSG}
 * @param rma the endpoint offers FI_RMA
 * @param tagged the endpoint offers FI_TAGGED
 * @param atomics the endpoint offers FI_ATOMIC
 * @param fetchAddValid {@code fi_query_atomic(FI_UINT64, FI_SUM, FI_FETCH_ATOMIC)} succeeded
 * @param cqDataSize bytes of remote CQ data carried with a write or send
 * @param mrMode the domain's FI_MR_* bits
 * @param dataProgress FI_PROGRESS_AUTO (1) or FI_PROGRESS_MANUAL (2)
 * @param waitObjects completion queues accept {@code FI_WAIT_FD}, so warm waits can sleep in
 *     the kernel inside {@code fi_cq_sread} (see {@link #warmWaitMode()})
 * @param injectSize bytes a write can inject without a completion
 * @param iovLimit local iovec entries per operation
 * @param maxMessageSize largest single transfer
 * @param mode the data path the transport uses
 * @param nativeFetchAdd the transport uses FI_ATOMIC for fetch-and-add (else a message the peer
 *     applies)
 */
public record FabricCapabilities(String variant, String provider, String providerFound, String fabricName,
        String domainName, int endpointType, boolean rma, boolean tagged, boolean atomics, boolean fetchAddValid,
        long cqDataSize, int mrMode, int dataProgress, boolean waitObjects, long injectSize, long iovLimit,
        long maxMessageSize, DataMode mode, boolean nativeFetchAdd, String warmWaitRequest) {

    /** How a write reaches the peer's slot. */
    public enum DataMode {
        /** One-sided {@code fi_writedata} into the peer's registered slot; CQ data = immediate|slot|length. */
        RMA,
        /** Two-sided {@code fi_tsenddata} into a receive posted on the slot (tag = slot). */
        MSG
    }

    /**
     * Whether {@code fi_close} of an endpoint whose peer died without a goodbye is known to be
     * safe. It is not where ofi_rxm is in the chain (libfabric 1.17 crashes in
     * rxm_handle_comp_error, see {@link FabricEndpoint#release}); shm is proven safe by the killed-peer
     * tests, and must be closed: its endpoint is a 16 MiB {@code /dev/shm} file that outlives the
     * process. Other providers are untried here, so their endpoints are kept as with ofi_rxm.
     */
    public boolean closesSafelyAfterPeerDeath() {
        return "shm".equals(provider);
    }

    /** Endpoint type name. */
    public String endpointTypeName() {
        return switch (endpointType) {
            case Fi.FI_EP_MSG -> "FI_EP_MSG";
            case Fi.FI_EP_RDM -> "FI_EP_RDM";
            default -> "type " + endpointType;
        };
    }

    /** Data-progress model name. */
    public String progressName() {
        return switch (dataProgress) {
            case Fi.FI_PROGRESS_AUTO -> "auto";
            case Fi.FI_PROGRESS_MANUAL -> "manual";
            default -> "unspecified";
        };
    }

    /** The system property that chooses how warm waits sleep: {@code auto}, {@code cq}, {@code endpoint} or {@code socket}. */
    public static final String WARM_WAIT_PROPERTY = FabricContext.WARM_WAIT_PROPERTY;

    /** How a warm {@code await} sleeps (see {@code FabricConnection}, "Warm waiting"). */
    public enum WarmWait {
        /** {@code fi_cq_sread} on the data endpoint's receive CQ, which then has {@code FI_WAIT_FD}. */
        CQ("fi_cq_sread on the data CQ (FI_WAIT_FD)"),
        /** {@code fi_cq_sread} on a second, wake-up endpoint's CQ; the data CQ has no wait object. */
        ENDPOINT("fi_cq_sread on a wake-up endpoint (data CQ without wait object)"),
        /** A parked thread that the peer wakes over the out-of-band socket. */
        SOCKET("parked, woken over the out-of-band socket");

        private final String description;

        WarmWait(String description) {
            this.description = description;
        }

        /** One line for {@code rfaas fabric-info}. */
        public String description() {
            return description;
        }
    }

    /**
     * How warm waits sleep with this provider. {@code auto} (the default) takes
     * {@link WarmWait#ENDPOINT} where CQs accept {@code FI_WAIT_FD} and memory regions are not bound
     * to one endpoint ({@code FI_MR_ENDPOINT}), else {@link WarmWait#SOCKET}: a data CQ with a wait
     * object makes every hot round trip of {@code tcp;ofi_rxm} about 20 % slower, libfabric's own C
     * ping-pong included. {@code -Drfaas.fabric.warmWait=cq}, {@code endpoint} or {@code socket}
     * asks for one; {@code cq} and {@code endpoint} become {@code socket} where the provider cannot
     * do them. See docs/rdma.md for what each costs, and for why {@code socket} is not the default
     * over tcp.
     *
     * @throws IllegalArgumentException if the property has another value
     */
    public WarmWait warmWaitMode() {
        boolean endpointPossible = waitObjects && (mrMode & Fi.FI_MR_ENDPOINT) == 0;
        String v = warmWaitRequest;
        return switch (v) {
            case "auto", "endpoint" -> endpointPossible ? WarmWait.ENDPOINT : WarmWait.SOCKET;
            case "cq" -> waitObjects ? WarmWait.CQ : WarmWait.SOCKET;
            case "socket" -> WarmWait.SOCKET;
            default -> throw new IllegalArgumentException(
                    "-D" + WARM_WAIT_PROPERTY + "=" + v + ": expected auto, cq, endpoint or socket");
        };
    }

    /** How a warm {@code await} sleeps with this provider. */
    public String warmWait() {
        return warmWaitMode().description();
    }

    /** The MR mode bits as names. */
    public String mrModeNames() {
        StringBuilder b = new StringBuilder();
        if ((mrMode & Fi.FI_MR_LOCAL) != 0) b.append("LOCAL|");
        if ((mrMode & Fi.FI_MR_VIRT_ADDR) != 0) b.append("VIRT_ADDR|");
        if ((mrMode & Fi.FI_MR_ALLOCATED) != 0) b.append("ALLOCATED|");
        if ((mrMode & Fi.FI_MR_PROV_KEY) != 0) b.append("PROV_KEY|");
        if ((mrMode & Fi.FI_MR_ENDPOINT) != 0) b.append("ENDPOINT|");
        return b.isEmpty() ? "none" : b.substring(0, b.length() - 1);
    }

    /** One line for {@code rfaas fabric-info}. */
    public String summary() {
        return String.format("%-8s %-14s %-10s data=%-3s (%s) faa=%s progress=%s warm=%s mr=%s cq_data=%dB inject=%dB",
                variant, providerFound, endpointTypeName(), mode,
                mode == DataMode.RMA ? "fi_writedata + remote CQ data" : "fi_tsenddata into posted receives",
                nativeFetchAdd ? "FI_ATOMIC" : "emulated", progressName(), warmWait(), mrModeNames(), cqDataSize,
                injectSize);
    }
}
