package org.rfaas.benchmarks.suite;

import org.rfaas.benchmarks.invoke.ColdSection;
import org.rfaas.benchmarks.invoke.NodePool;
import org.rfaas.benchmarks.invoke.RawEcho;
import org.rfaas.benchmarks.invoke.RfaasEcho;
import org.rfaas.benchmarks.invoke.PipelineSection;
import org.rfaas.benchmarks.invoke.ScalingSection;
import org.rfaas.benchmarks.sebs.SebsSection;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * The rFaaS side of {@code bench all}: for each transport provider, rFaaS and raw ping-pong
 * subjects in hot and warm mode, and the scaling and cold-start sections.
 *
 * @param providers the transports measured
 * @param latency per provider and mode, the raw and the rFaaS subject, measured side by side
 * @param sections scaling and cold start
 * @param nodes the executor managers they share, one per provider; closed with this record
 */
public record SuiteSubjects(List<String> providers, List<List<Subject>> latency, List<BenchAll.Section> sections,
                            NodePool nodes) implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SuiteSubjects.class);

    /**
     * The providers tried when none are named. {@code fabric:tcp} is left out: in this build its
     * client side crashes the JVM (SIGSEGV) after a few allocations and releases, which would take
     * the whole run down; name it with {@code --providers shm,tcp,fabric:tcp} to measure it anyway.
     */
    public static final List<String> DEFAULT_PROVIDERS = List.of("shm", "tcp");

    /** Subjects for {@code providers}, or for every default provider that opens here when null. */
    public static SuiteSubjects forProviders(List<String> providers) {
        List<String> use = providers == null ? available(DEFAULT_PROVIDERS) : providers;
        NodePool nodes = new NodePool();
        List<List<Subject>> latency = new ArrayList<>();
        for (String p : use) {
            for (String mode : List.of("hot", "warm")) {
                latency.add(List.of(new Subject("raw", p, mode, () -> RawEcho.start(p, mode)),
                        new Subject("rfaas", p, mode, () -> RfaasEcho.start(nodes.node(p), mode))));
            }
        }
        return new SuiteSubjects(use, latency, List.of(new ScalingSection(use, nodes),
                new PipelineSection(use, nodes), new ColdSection(use, nodes), new SebsSection(use, nodes)), nodes);
    }

    /** Stops the executor managers. */
    @Override
    public void close() {
        nodes.close();
    }

    /** The providers among {@code names} that open on this machine; the others are logged and skipped. */
    public static List<String> available(List<String> names) {
        List<String> ok = new ArrayList<>();
        for (String n : names) {
            try (Transport t = Transports.open(n)) {
                ok.add(t.name());
            } catch (RuntimeException e) {
                LOG.warn("transport {} is not available here, skipped: {}", n, e.getMessage());
            }
        }
        return ok;
    }
}
