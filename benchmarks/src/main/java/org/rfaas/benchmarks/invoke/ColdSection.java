package org.rfaas.benchmarks.invoke;

import org.rfaas.demo.support.FunctionPackages;
import org.rfaas.demo.support.LatencyStats;
import org.rfaas.benchmarks.common.Progress;
import org.rfaas.benchmarks.suite.BenchAll;
import org.rfaas.benchmarks.suite.Report;
import org.rfaas.benchmarks.suite.Row;
import org.rfaas.client.FunctionPackage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The cold-start breakdown of {@code bench all}: {@link ColdStart} phases on each provider, from a
 * spare executor (mode: the phase) and without one, each lease forking its executor JVM (mode:
 * {@code forked:} and the phase).
 */
public final class ColdSection implements BenchAll.Section {
    private final List<String> providers;
    private final NodePool nodes;

    public ColdSection(List<String> providers, NodePool nodes) {
        this.providers = List.copyOf(providers);
        this.nodes = nodes;
    }

    @Override
    public int steps() {
        return 2 * providers.size();
    }

    @Override
    public void run(Report report, Progress progress, boolean quick) throws Exception {
        for (String provider : providers) {
            progress.begin("cold starts " + provider);
            measure(report, provider, nodes.node(provider), "", quick ? 3 : 12);
            progress.step();
            progress.begin("cold starts without a spare " + provider);
            measure(report, provider, nodes.forkingNode(provider), "forked:", quick ? 3 : 6);
            progress.step();
        }
    }

    private static void measure(Report report, String provider, LocalNode node, String prefix, int allocations)
            throws Exception {
        Path dir = Files.createTempDirectory("rfaas-bench-cold-");
        try {
            FunctionPackage pkg = FunctionPackage.jar(FunctionPackages.javaJar(dir));
            Map<String, LatencyStats> phases = ColdStart.measure(node, pkg, allocations);
            phases.forEach((phase, s) -> report.add(
                    new Row("cold", "rfaas", provider, prefix + phase, 0, 1, s.count(), s.medianNs(), s.p99Ns(), 0)));
        } finally {
            FunctionPackages.deleteTree(dir);
        }
    }
}
