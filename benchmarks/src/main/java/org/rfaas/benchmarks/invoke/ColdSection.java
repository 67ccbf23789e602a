package org.rfaas.benchmarks.invoke;

import org.rfaas.benchmarks.common.LatencyStats;
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

    public ColdSection(List<String> providers) {
        this.providers = List.copyOf(providers);
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
            try (LocalNode node = LocalNode.start(provider, dir)) {
                FunctionPackage pkg = FunctionPackage.jar(FunctionPackages.javaJar(dir.resolve("pkg")));
                Map<String, LatencyStats> phases = ColdStart.measure(node, pkg, quick ? 5 : 15);
                phases.forEach((phase, s) -> report.add(
                        new Row("cold", "rfaas", provider, phase, 0, 1, s.count(), s.medianNs(), s.p99Ns(), 0)));
            }
            progress.step();
        }
    }
}
