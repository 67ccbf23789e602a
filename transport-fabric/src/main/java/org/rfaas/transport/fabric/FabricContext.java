package org.rfaas.transport.fabric;

import java.util.Locale;
import java.util.Set;
import org.rfaas.transport.Liveness;
import org.rfaas.transport.TransportException;

/**
 * Every tunable of the {@code fabric:*} transports, validated once; {@link #fromSystemProperties()}
 * is the only place that reads the {@code rfaas.fabric.*} system properties (docs/rdma.md).
 *
 * @param liveness out-of-band heartbeats and the silence after which a peer is lost
 *     ({@code rfaas.fabric.heartbeatIntervalMillis}, default 250;
 *     {@code rfaas.fabric.livenessTimeoutMillis}, default 1500)
 * @param dataMode {@code auto} (detect), {@code rma} or {@code msg} ({@code rfaas.fabric.mode})
 * @param atomics {@code auto} (detect), {@code native} or {@code emulated} ({@code rfaas.fabric.atomics})
 * @param warmWait {@code auto}, {@code cq}, {@code endpoint} or {@code socket}
 *     ({@code rfaas.fabric.warmWait}); see {@link FabricCapabilities#warmWaitMode()}
 * @param waitSliceMillis longest single {@code fi_cq_sread} or park of a warm wait, so failure and
 *     close are noticed promptly even if nothing wakes the thread ({@code rfaas.fabric.waitSliceMillis},
 *     default 50; tests make it long, so that a lost wake-up shows as a wait of that length)
 * @param closeFailedEndpoints {@code fi_close} endpoints of failed connections anyway, for a libfabric
 *     without the bug that makes it unsafe ({@code rfaas.fabric.closeFailedEndpoints}, default false)
 * @param sweepStaleShmRegions remove {@code /dev/shm} regions of dead processes when
 *     {@code fabric:shm} opens ({@code rfaas.fabric.sweepStaleShmRegions}, default true)
 */
record FabricContext(Liveness liveness, String dataMode, String atomics, String warmWait, int waitSliceMillis,
        boolean closeFailedEndpoints, boolean sweepStaleShmRegions) {
    static final String PREFIX = "rfaas.fabric.";
    /** Data path forced by {@code -Drfaas.fabric.mode=rma|msg} (default: detect). */
    static final String MODE_PROPERTY = PREFIX + "mode";
    /** Fetch-and-add forced by {@code -Drfaas.fabric.atomics=native|emulated} (default: detect). */
    static final String ATOMICS_PROPERTY = PREFIX + "atomics";
    /** How warm waits sleep: {@code auto}, {@code cq}, {@code endpoint} or {@code socket}. */
    static final String WARM_WAIT_PROPERTY = PREFIX + "warmWait";
    /** See {@link #waitSliceMillis}. */
    static final String WAIT_SLICE_PROPERTY = PREFIX + "waitSliceMillis";

    /** Validates the tunables; the choices are lower-cased. */
    FabricContext {
        if (liveness == null) {
            throw new IllegalArgumentException("liveness settings are required");
        }
        dataMode = choice(MODE_PROPERTY, dataMode, Set.of("auto", "rma", "msg"));
        atomics = choice(ATOMICS_PROPERTY, atomics, Set.of("auto", "native", "emulated"));
        warmWait = choice(WARM_WAIT_PROPERTY, warmWait, Set.of("auto", "cq", "endpoint", "socket"));
        if (waitSliceMillis < 1) {
            throw new IllegalArgumentException(WAIT_SLICE_PROPERTY + " must be at least 1 ms, got " + waitSliceMillis);
        }
    }

    /** The defaults, overridden by the system properties named above. */
    static FabricContext fromSystemProperties() {
        return new FabricContext(Liveness.fromSystemProperties(PREFIX),
                System.getProperty(MODE_PROPERTY, "auto"),
                System.getProperty(ATOMICS_PROPERTY, "auto"),
                System.getProperty(WARM_WAIT_PROPERTY, "auto"),
                Integer.getInteger(WAIT_SLICE_PROPERTY, 50),
                Boolean.getBoolean(PREFIX + "closeFailedEndpoints"),
                Boolean.parseBoolean(System.getProperty(PREFIX + "sweepStaleShmRegions", "true")));
    }

    private static String choice(String property, String value, Set<String> allowed) {
        String v = value == null ? "auto" : value.trim().toLowerCase(Locale.ROOT);
        if (!allowed.contains(v)) {
            throw new TransportException("-D" + property + "=" + value + ": expected one of " + allowed);
        }
        return v;
    }
}
