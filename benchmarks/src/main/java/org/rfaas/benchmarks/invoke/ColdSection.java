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

/** The cold-start breakdown of {@code bench all}: {@link ColdStart} phases on each provider. */
public final class ColdSection implements BenchAll.Section {
    private final List<String> providers;
    private final NodePool nodes;

    public ColdSection(List<String> providers, NodePool nodes) {
        this.providers = List.copyOf(providers);
        this.nodes = nodes;
    }

    @Override
    public int steps() {
        return providers.size();
    }

    @Override
    public void run(Report report, Progress progress, boolean quick) throws Exception {
        for (String provider : providers) {
            progress.begin("cold starts " + provider);
            Path dir = Files.createTempDirectory("rfaas-bench-cold-");
            try {
                FunctionPackage pkg = FunctionPackage.jar(FunctionPackages.javaJar(dir));
                Map<String, LatencyStats> phases = ColdStart.measure(nodes.node(provider), pkg, quick ? 3 : 12);
                phases.forEach((phase, s) -> report.add(
                        new Row("cold", "rfaas", provider, phase, 0, 1, s.count(), s.medianNs(), s.p99Ns(), 0)));
            } finally {
                FunctionPackages.deleteTree(dir);
            }
            progress.step();
        }
    }
}
