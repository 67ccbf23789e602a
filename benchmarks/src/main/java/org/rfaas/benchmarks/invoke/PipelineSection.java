package org.rfaas.benchmarks.invoke;

import org.rfaas.benchmarks.common.Progress;
import org.rfaas.benchmarks.suite.BenchAll;
import org.rfaas.benchmarks.suite.Report;
import org.rfaas.benchmarks.suite.Row;

import java.util.List;

/**
 * {@code bench all}'s pipelined section ({@link PipelineBench}): per provider, size and depth a
 * {@code pipelined} row for rFaaS and one for the raw transport, {@code cores} holding the calls
 * in flight and {@code throughput} the calls per second.
 */
public final class PipelineSection implements BenchAll.Section {
    private final List<String> providers;
    private final NodePool nodes;

    public PipelineSection(List<String> providers, NodePool nodes) {
        this.providers = List.copyOf(providers);
        this.nodes = nodes;
    }

    @Override
    public int steps() {
        return providers.size() * PipelineBench.steps();
    }

    @Override
    public void run(Report report, Progress progress, boolean quick) throws Exception {
        for (String provider : providers) {
            try {
                for (PipelineRow r : PipelineBench.measure(nodes, provider, quick, progress)) {
                    report.add(new Row("pipelined", "rfaas", provider, "hot", r.bytes(), r.depth(), r.samples(),
                            r.medianNs(), r.p99Ns(), r.callsPerSecond()));
                    report.add(new Row("pipelined", "raw", provider, "hot", r.bytes(), r.depth(), r.samples(),
                            r.rawMedianNs(), r.rawP99Ns(), r.rawCallsPerSecond()));
                }
            } catch (RuntimeException e) {
                report.note("pipelined " + provider + " failed", e.toString());
                org.slf4j.LoggerFactory.getLogger(PipelineSection.class).error("pipelined {} failed", provider, e);
            }
        }
    }
}
