package org.rfaas.transport.fabric;

import org.rfaas.transport.ConnectionSpec;

/**
 * What this side learnt of the peer from its {@link Hello}: its slots, where its data endpoint
 * (and wake-up endpoint) sits in our address vector, and how to write into its region.
 *
 * @param spec the peer's slots and counters
 * @param addr the peer's data endpoint in our AV
 * @param rma whether writes go as RMA into its region (else tagged messages)
 * @param nativeAtomics whether its counters take {@code fi_fetch_atomic} (else emulated frames)
 * @param rmaBase its region's base for RMA addresses (0 without FI_MR_VIRT_ADDR)
 * @param rmaKey its region's key
 * @param stride its slot stride
 * @param counterOffset where its counters start in its region
 * @param ringsDoorbell it rings this side after a TYPE_WARM (so a warm wait may sleep)
 * @param useWakeEndpoint both sides have a wake-up endpoint: ring with a nudge to it
 * @param wakeAddr its wake-up endpoint in our AV (when {@code useWakeEndpoint})
 */
record PeerEndpoint(ConnectionSpec spec, long addr, boolean rma, boolean nativeAtomics, long rmaBase, long rmaKey,
        long stride, long counterOffset, boolean ringsDoorbell, boolean useWakeEndpoint, long wakeAddr) {
}
