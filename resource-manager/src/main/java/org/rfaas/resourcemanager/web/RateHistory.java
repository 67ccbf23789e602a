package org.rfaas.resourcemanager.web;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.rfaas.resourcemanager.StateObserver;

/**
 * Lease events per second over the last {@value #SECONDS} seconds, for the dashboard's rate
 * chart: one ring of one-second buckets per series, a bucket recycled when its second comes round
 * again.
 */
final class RateHistory implements StateObserver {
    static final int SECONDS = 120;
    static final String[] SERIES = {"granted", "refused", "released", "expired", "revoked"};

    private final long[][] counts = new long[SERIES.length][SECONDS];
    private final long[] bucketSecond = new long[SECONDS];

    @Override
    public void leaseGranted(org.rfaas.rmclient.LeaseGrant grant, long latencyNanos) {
        record(0, 1);
    }

    @Override
    public void leaseRefused(String reason) {
        record(1, 1);
    }

    @Override
    public void leasesEnded(String endState, String node, int count, String reason) {
        switch (endState.toLowerCase(Locale.ROOT)) {
            case "released" -> record(2, count);
            case "expired" -> record(3, count);
            case "revoked" -> record(4, count);
            default -> { }
        }
    }

    private synchronized void record(int series, int n) {
        long now = System.currentTimeMillis() / 1000;
        int slot = (int) (now % SECONDS);
        if (bucketSecond[slot] != now) {
            bucketSecond[slot] = now;
            for (long[] c : counts) {
                c[slot] = 0;
            }
        }
        counts[series][slot] += n;
    }

    /**
     * Each series as counts per second, oldest first, ending with the second {@code endSecond}
     * (epoch seconds); seconds with nothing recorded are 0.
     */
    synchronized Map<String, long[]> series(long endSecond) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (int s = 0; s < SERIES.length; s++) {
            long[] v = new long[SECONDS];
            for (int i = 0; i < SECONDS; i++) {
                long second = endSecond - (SECONDS - 1) + i;
                int slot = (int) Math.floorMod(second, (long) SECONDS);
                v[i] = bucketSecond[slot] == second ? counts[s][slot] : 0;
            }
            out.put(SERIES[s], v);
        }
        return out;
    }
}
