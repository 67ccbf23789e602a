package org.rfaas.benchmarks.sebs;

import org.rfaas.benchmarks.common.Progress;
import org.rfaas.benchmarks.invoke.NodePool;
import org.rfaas.benchmarks.suite.BenchAll;
import org.rfaas.benchmarks.suite.Report;

import java.util.List;

/** The SeBS section of {@code bench all}: {@link SebsBench} on the run's providers and nodes. */
public final class SebsSection implements BenchAll.Section {
    private final List<String> providers;
    private final NodePool nodes;

    public SebsSection(List<String> providers, NodePool nodes) {
        this.providers = List.copyOf(providers);
        this.nodes = nodes;
    }

    @Override
    public int steps() {
        return SebsBench.steps(providers);
    }

    @Override
    public void run(Report report, Progress progress, boolean quick) throws Exception {
        List<String> failures = SebsBench.run(report, nodes, providers, quick, progress);
        if (!failures.isEmpty()) {
            throw new IllegalStateException("SeBS: " + String.join("; ", failures));
        }
    }
}
