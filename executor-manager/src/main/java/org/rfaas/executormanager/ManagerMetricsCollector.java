package org.rfaas.executormanager;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.rfaas.protocol.LeaseAccounting;

/**
 * The executor manager's metrics read at scrape time: capacity in use, spares, the AOT cache, and
 * each active lease's counters as its executor last flushed them (so a scrape shows invocations
 * while they happen, not only when a lease ends), with the node-wide totals from
 * {@link ManagerMetrics#totals}.
 */
final class ManagerMetricsCollector implements MultiCollector {
    private static final double MIB = 1024.0 * 1024.0;
    private static final double NANOS = 1e9;

    /** One active lease and what its executor flushed so far. */
    record LeaseUsage(long leaseId, String tenant, int cores, long memoryMiB, LeaseAccounting accounting) {
    }

    /** What the collector reads from the manager at each scrape. */
    interface Source {
        int cores();

        long memoryMiB();

        int freeCores();

        long freeMemoryMiB();

        /** Spare executors started ahead of demand (booting or connected). */
        int spareExecutors();

        boolean aotCacheReady();

        List<LeaseUsage> leases();
    }

    private final Source source;
    private final ManagerMetrics totals;

    ManagerMetricsCollector(Source source, ManagerMetrics totals) {
        this.source = source;
        this.totals = totals;
    }

    @Override
    public MetricSnapshots collect() {
        List<LeaseUsage> leases = source.leases();
        List<MetricSnapshot> out = new ArrayList<>();
        out.add(gauge("rfaas_em_leases_active", "Leases served now", leases.size()));
        out.add(gauge("rfaas_em_cores_capacity", "Cores this node offers to leases", source.cores()));
        out.add(gauge("rfaas_em_cores_used", "Cores held by active leases", source.cores() - source.freeCores()));
        out.add(gauge("rfaas_em_memory_capacity_bytes", "Memory this node offers to leases", source.memoryMiB() * MIB));
        out.add(gauge("rfaas_em_memory_used_bytes", "Memory held by active leases",
                (source.memoryMiB() - source.freeMemoryMiB()) * MIB));
        out.add(gauge("rfaas_em_spare_executors", "Executor JVMs started ahead of demand", source.spareExecutors()));
        out.add(gauge("rfaas_em_aot_cache_ready", "1 when executors start from the AOT cache", source.aotCacheReady() ? 1 : 0));

        long[] t = totals.totals(leases.stream().map(LeaseUsage::accounting).toList());
        out.add(counter("rfaas_em_invocations", "Invocations served by this node's executors, failed ones included,"
                + " as flushed", t[ManagerMetrics.Total.INVOCATIONS.ordinal()]));
        out.add(counter("rfaas_em_failed_invocations", "Invocations whose function failed",
                t[ManagerMetrics.Total.FAILED.ordinal()]));
        out.add(counter("rfaas_em_compute_seconds", "Time spent in functions (billed compute)",
                t[ManagerMetrics.Total.COMPUTE_NANOS.ordinal()] / NANOS));
        out.add(counter("rfaas_em_hot_polling_seconds", "Time executors spent hot-polling (billed)",
                t[ManagerMetrics.Total.HOT_POLL_NANOS.ordinal()] / NANOS));

        out.add(perLease("rfaas_em_lease_invocations", "Invocations served by the lease's executor, as flushed", leases,
                u -> u.accounting().invocations()));
        out.add(perLease("rfaas_em_lease_failed_invocations", "Failed invocations of the lease's executor", leases,
                u -> u.accounting().failedInvocations()));
        out.add(perLease("rfaas_em_lease_compute_seconds", "Compute time of the lease's executor", leases,
                u -> u.accounting().computeNanos() / NANOS));
        return new MetricSnapshots(out);
    }

    private static GaugeSnapshot gauge(String name, String help, double value) {
        return GaugeSnapshot.builder().name(name).help(help)
                .dataPoint(GaugeDataPointSnapshot.builder().value(value).build()).build();
    }

    private static CounterSnapshot counter(String name, String help, double value) {
        return CounterSnapshot.builder().name(name).help(help)
                .dataPoint(CounterDataPointSnapshot.builder().value(value).build()).build();
    }

    private static CounterSnapshot perLease(String name, String help, List<LeaseUsage> leases, ToDoubleFunction<LeaseUsage> f) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        for (LeaseUsage u : leases) {
            b.dataPoint(CounterDataPointSnapshot.builder()
                    .labels(Labels.of("lease", Long.toString(u.leaseId()), "tenant", u.tenant()))
                    .value(f.applyAsDouble(u)).build());
        }
        return b.build();
    }
}
