package org.rfaas.resourcemanager.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.rfaas.rmclient.NodeInfo;
import org.rfaas.rmclient.TenantBilling;
import org.rfaas.resourcemanager.ClusterView;

/**
 * The gauges read from the cluster state at scrape time (nodes, cores, memory, active leases) and
 * the billing counters from {@link BillingTotals}: one query of the nodes per scrape, nothing kept
 * in between, so the numbers are exactly what {@code GET /v1/nodes} would answer.
 */
final class ClusterCollector implements MultiCollector {
    private static final double MIB = 1024.0 * 1024.0;
    private static final double NANOS = 1e9;
    static final List<String> NODE_STATES = List.of("UP", "DRAINING", "DOWN");

    /** A capacity measure exported both summed over the cluster and per node. */
    private record Measure(String name, String help, ToDoubleFunction<NodeInfo> value) {
    }

    private static final List<Measure> MEASURES = List.of(
            new Measure("cores_capacity", "Cores", NodeInfo::cores),
            new Measure("cores_used", "Cores held by active leases", n -> n.cores() - n.freeCores()),
            new Measure("cores_free", "Cores not held by active leases (whatever the node state)", NodeInfo::freeCores),
            new Measure("memory_capacity_bytes", "Memory", n -> n.memoryMiB() * MIB),
            new Measure("memory_used_bytes", "Memory held by active leases", n -> (n.memoryMiB() - n.freeMemoryMiB()) * MIB),
            new Measure("memory_free_bytes", "Memory not held by active leases (whatever the node state)",
                    n -> n.freeMemoryMiB() * MIB));

    private final ClusterView view;
    private final BillingTotals billing;

    ClusterCollector(ClusterView view, BillingTotals billing) {
        this.view = view;
        this.billing = billing;
    }

    @Override
    public MetricSnapshots collect() {
        List<NodeInfo> nodes = view.nodes();
        List<MetricSnapshot> out = new ArrayList<>();
        Map<String, Integer> byState = new LinkedHashMap<>();
        NODE_STATES.forEach(s -> byState.put(s, 0));
        for (NodeInfo n : nodes) {
            byState.merge(n.state(), 1, Integer::sum);
        }
        GaugeSnapshot.Builder states = GaugeSnapshot.builder().name("rfaas_rm_nodes").help("Registered nodes by state");
        byState.forEach((s, c) -> states.dataPoint(gauge(c, "state", s)));
        out.add(states.build());

        for (Measure m : MEASURES) {
            out.add(cluster("rfaas_rm_cluster_" + m.name(), m.help() + ", all registered nodes", nodes, m.value()));
        }
        out.add(cluster("rfaas_rm_leases_active", "Active leases", nodes, NodeInfo::activeLeases));

        GaugeSnapshot.Builder nodeState = GaugeSnapshot.builder().name("rfaas_rm_node_state")
                .help("1 for the node's current state, 0 for the others");
        for (NodeInfo n : nodes) {
            NODE_STATES.forEach(s -> nodeState.dataPoint(gauge(s.equals(n.state()) ? 1 : 0, "node", n.name(), "state", s)));
        }
        out.add(nodeState.build());
        for (Measure m : MEASURES) {
            out.add(perNode("rfaas_rm_node_" + m.name(), m.help() + " of the node", nodes, m.value()));
        }
        out.add(perNode("rfaas_rm_node_leases_active", "Active leases on the node", nodes, NodeInfo::activeLeases));

        List<TenantBilling> tenants = billing.snapshot();
        out.add(billed("rfaas_rm_billing_leases", "Leases billed (final accountings reported)", tenants, TenantBilling::leases));
        out.add(billed("rfaas_rm_billing_allocation_seconds", "Allocation time billed", tenants, t -> t.allocationNanos() / NANOS));
        out.add(billed("rfaas_rm_billing_compute_seconds", "Compute time billed", tenants, t -> t.computeNanos() / NANOS));
        out.add(billed("rfaas_rm_billing_hot_polling_seconds", "Hot-polling time billed", tenants, t -> t.hotPollingNanos() / NANOS));
        out.add(billed("rfaas_rm_billing_memory_mib_seconds", "Memory billed, MiB times seconds", tenants, TenantBilling::memoryMiBSeconds));
        return new MetricSnapshots(out);
    }

    private static GaugeDataPointSnapshot gauge(double value, String... labels) {
        return GaugeDataPointSnapshot.builder().labels(Labels.of(labels)).value(value).build();
    }

    private static GaugeSnapshot cluster(String name, String help, List<NodeInfo> nodes, ToDoubleFunction<NodeInfo> f) {
        double sum = 0;
        for (NodeInfo n : nodes) {
            sum += f.applyAsDouble(n);
        }
        return GaugeSnapshot.builder().name(name).help(help).dataPoint(gauge(sum)).build();
    }

    private static GaugeSnapshot perNode(String name, String help, List<NodeInfo> nodes, ToDoubleFunction<NodeInfo> f) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        for (NodeInfo n : nodes) {
            b.dataPoint(gauge(f.applyAsDouble(n), "node", n.name()));
        }
        return b.build();
    }

    private static CounterSnapshot billed(String name, String help, List<TenantBilling> tenants, ToDoubleFunction<TenantBilling> f) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        for (TenantBilling t : tenants) {
            b.dataPoint(CounterDataPointSnapshot.builder().labels(Labels.of("tenant", t.tenant())).value(f.applyAsDouble(t)).build());
        }
        return b.build();
    }
}
