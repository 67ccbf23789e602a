package org.rfaas.resourcemanager.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Locale;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.resourcemanager.ClusterView;
import org.rfaas.resourcemanager.StateObserver;

/**
 * The resource manager's Prometheus metrics (names documented in docs/resource-manager.md,
 * "Metrics"): event counters and the grant-latency histogram kept here, fed by the cluster state
 * as a {@link StateObserver}; gauges and billing read at scrape time by {@link ClusterCollector}.
 * Counters start at zero with the process, as Prometheus expects of counters.
 */
public final class RmMetrics implements StateObserver {
    /** The content type of {@link #scrape()}: Prometheus text format 0.0.4. */
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.builder().setIncludeCreatedTimestamps(false).build();
    private final Counter granted;
    private final Counter refused;
    private final Counter ended;
    private final Counter nodeEvents;
    private final Histogram grantLatency;
    private final Counter http;

    /** Registers every metric; {@code view} is queried and {@code billing} read at each scrape. */
    public RmMetrics(ClusterView view, BillingTotals billing) {
        registry.register(new ClusterCollector(view, billing));
        granted = Counter.builder().name("rfaas_rm_leases_granted").help("Leases granted").register(registry);
        refused = Counter.builder().name("rfaas_rm_leases_refused").help("Lease requests refused for want of capacity, by reason")
                .labelNames("reason").register(registry);
        ended = Counter.builder().name("rfaas_rm_leases_ended")
                .help("Leases ended, by end state: released (client, admin or final accounting), expired, revoked (node drained, removed or down)")
                .labelNames("state").register(registry);
        nodeEvents = Counter.builder().name("rfaas_rm_node_events").help("Node lifecycle events (added, drained, down, ...)")
                .labelNames("event").register(registry);
        // 50 us .. ~1.6 s: a grant is one SQL transaction, fast unless the database or the lock is contended.
        grantLatency = Histogram.builder().name("rfaas_rm_lease_grant_seconds").unit(Unit.SECONDS)
                .help("Time to place and record a granted lease (lock wait and database included)")
                .classicOnly().classicExponentialUpperBounds(0.00005, 2, 16).register(registry);
        http = Counter.builder().name("rfaas_rm_http_requests").help("HTTP requests answered, by method, route and status")
                .labelNames("method", "route", "status").register(registry);
        for (String state : new String[] {"released", "expired", "revoked"}) {
            ended.labelValues(state); // present at 0 from the start, so rate() sees the first one
        }
    }

    /** The exposition of every metric in Prometheus text format 0.0.4. */
    public byte[] scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        writer.write(out, registry.scrape());
        return out.toByteArray();
    }

    /**
     * Counts an answered HTTP request. {@code route} must be the matched route pattern (bounded),
     * never the raw path, or garbage paths would create unbounded series.
     */
    public void httpRequest(String method, String route, int status) {
        http.labelValues(method, route, Integer.toString(status)).inc();
    }

    @Override
    public void nodeEvent(String node, String event) {
        nodeEvents.labelValues(event).inc();
    }

    @Override
    public void leaseGranted(LeaseGrant grant, long latencyNanos) {
        granted.inc();
        grantLatency.observe(latencyNanos / 1e9);
    }

    @Override
    public void leaseRefused(String reason) {
        refused.labelValues(reason).inc();
    }

    @Override
    public void leasesEnded(String endState, String node, int count, String reason) {
        ended.labelValues(endState.toLowerCase(Locale.ROOT)).inc(count);
    }
}
