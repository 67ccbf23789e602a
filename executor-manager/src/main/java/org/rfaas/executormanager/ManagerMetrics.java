package org.rfaas.executormanager;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.rfaas.protocol.AllocationRefusal;
import org.rfaas.protocol.LeaseAccounting;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.rmclient.NodeActivity;

/**
 * An executor manager's Prometheus metrics (names documented in docs/metrics.md): event counters
 * and the cold-start histogram kept here, fed as a {@link LeaseListener}; capacity, spares and the
 * invocation counters the executors flushed read at scrape time by {@link ManagerMetricsCollector}.
 * The same running totals go to the resource manager with every heartbeat ({@link #activity()}).
 */
final class ManagerMetrics implements LeaseListener, AutoCloseable {
    static final int MAX_REQUEST_SECONDS = 5;
    static final int MAX_CONNECTIONS = 256;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter allocations;
    private final Counter refusals;
    private final Counter ended;
    private final Histogram coldStart;
    private final AtomicLong coldStarts = new AtomicLong();
    private final AtomicLong coldStartNanos = new AtomicLong();
    /** Totals of the leases that ended; the active ones' flushed counters are added at each read. */
    private final AtomicLong endedInvocations = new AtomicLong();
    private final AtomicLong endedFailed = new AtomicLong();
    private final AtomicLong endedComputeNanos = new AtomicLong();
    private final AtomicLong endedHotPollNanos = new AtomicLong();
    /** Highest totals reported so far: a lease between the active table and {@link #leaseEnded} must not make them dip. */
    private final long[] reported = new long[Total.values().length];
    private final ManagerMetricsCollector.Source source;
    private HTTPServer server;

    /** The node-wide running totals exported as counters (and partly sent with heartbeats). */
    enum Total { INVOCATIONS, FAILED, COMPUTE_NANOS, HOT_POLL_NANOS }

    ManagerMetrics(ManagerMetricsCollector.Source source) {
        this.source = source;
        registry.register(new ManagerMetricsCollector(source, this));
        allocations = Counter.builder().name("rfaas_em_allocations").help("Allocations answered with an executor")
                .register(registry);
        refusals = Counter.builder().name("rfaas_em_allocations_refused").help("Allocation requests refused, by reason")
                .labelNames("reason").register(registry);
        ended = Counter.builder().name("rfaas_em_leases_ended").help("Leases ended, by reason").labelNames("reason")
                .register(registry);
        // 1 ms .. ~4 s: a spare takes a few ms, a fresh JVM some 100 ms, an overloaded node seconds.
        coldStart = Histogram.builder().name("rfaas_em_cold_start_seconds").unit(Unit.SECONDS)
                .help("Time from an allocation request to its executor being ready, by where the executor came from")
                .labelNames("executor").classicOnly().classicExponentialUpperBounds(0.001, 2, 13).register(registry);
        for (AllocationRefusal r : AllocationRefusal.values()) {
            if (r != AllocationRefusal.NONE) {
                refusals.labelValues(label(r.name())); // present at 0 from the start, so rate() sees the first one
            }
        }
        for (LeaseEndReason r : LeaseEndReason.values()) {
            ended.labelValues(label(r.name()));
        }
        coldStart.labelValues("spare");
        coldStart.labelValues("forked");
    }

    /**
     * Serves {@code GET /metrics} on {@code host:port} (port 0: any free port); returns the bound port.
     * Hostile peers must not stall the scraper: each request gets a virtual thread (the client's
     * default pool of 10 threads is held by 10 peers that send half a request), the JDK server
     * drops a request not read within {@value #MAX_REQUEST_SECONDS} s and holds at most
     * {@value #MAX_CONNECTIONS} connections. Those limits are the JDK server's process-wide
     * properties, read when its first server starts; a value set on the command line wins.
     */
    synchronized int serve(String host, int port) {
        System.getProperties().putIfAbsent("sun.net.httpserver.maxReqTime", Integer.toString(MAX_REQUEST_SECONDS));
        System.getProperties().putIfAbsent("jdk.httpserver.maxConnections", Integer.toString(MAX_CONNECTIONS));
        try {
            server = HTTPServer.builder().registry(registry).inetAddress(java.net.InetAddress.getByName(host)).port(port)
                    .executorService(Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("rfaas-em-metrics-", 0)
                            .factory()))
                    .buildAndStart();
            return server.getPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /** The registry (tests scrape it without HTTP too). */
    PrometheusRegistry registry() {
        return registry;
    }

    @Override
    public void leaseStarted(LeaseRecord lease) {
        allocations.inc();
    }

    @Override
    public void executorReady(LeaseRecord lease, long nanos, boolean spare) {
        coldStarts.incrementAndGet();
        coldStartNanos.addAndGet(nanos);
        coldStart.labelValues(spare ? "spare" : "forked").observe(nanos / 1e9);
    }

    @Override
    public void allocationRefused(AllocationRefusal refusal) {
        refusals.labelValues(label(refusal.name())).inc();
    }

    @Override
    public void leaseEnded(LeaseRecord lease, LeaseEndReason reason, LeaseAccounting a) {
        endedInvocations.addAndGet(a.invocations());
        endedFailed.addAndGet(a.failedInvocations());
        endedComputeNanos.addAndGet(a.computeNanos());
        endedHotPollNanos.addAndGet(a.hotPollNanos());
        ended.labelValues(label(reason.name())).inc();
    }

    /**
     * The node's running totals: ended leases plus what the active leases' executors flushed so far,
     * never less than what was reported before.
     */
    synchronized long[] totals(List<LeaseAccounting> active) {
        long[] t = {endedInvocations.get(), endedFailed.get(), endedComputeNanos.get(), endedHotPollNanos.get()};
        for (LeaseAccounting a : active) {
            t[0] += a.invocations();
            t[1] += a.failedInvocations();
            t[2] += a.computeNanos();
            t[3] += a.hotPollNanos();
        }
        for (int i = 0; i < t.length; i++) {
            reported[i] = Math.max(reported[i], t[i]);
            t[i] = reported[i];
        }
        return t;
    }

    /** What the node served since the manager started, for the resource manager's heartbeat. */
    NodeActivity activity() {
        long[] t = totals(source.leases().stream().map(ManagerMetricsCollector.LeaseUsage::accounting).toList());
        return new NodeActivity(t[Total.INVOCATIONS.ordinal()], Math.min(t[Total.FAILED.ordinal()],
                t[Total.INVOCATIONS.ordinal()]), coldStarts.get(), coldStartNanos.get());
    }

    private static String label(String enumName) {
        return enumName.toLowerCase(Locale.ROOT);
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.close();
            server = null;
        }
    }
}
