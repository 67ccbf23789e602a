package org.rfaas.apps.common;

/**
 * A rank's offloading costs, in nanoseconds.
 *
 * @param lease the lease and allocation (the cold start: package shipped, executor started, workers connected)
 * @param transfer packing inputs into and unpacking outputs from the registered buffers, all workers
 * @param network round trips minus the remote compute time, all workers (wire, queueing, protocol)
 * @param busiestWorker remote compute time of the busiest worker (its kernel time summed)
 * @param calls invocations
 * @param callMedian the median of one call's overhead (its transfer + network), over the calls
 * @param callP99 the 99th percentile of one call's overhead
 */
public record OffloadStats(long lease, long transfer, long network, long busiestWorker, long calls, long callMedian,
        long callP99) {
    /** Nothing offloaded. */
    public static final OffloadStats NONE = new OffloadStats(0, 0, 0, 0, 0, 0, 0);
}
