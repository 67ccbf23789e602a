package org.rfaas.benchmarks.cli;

import org.rfaas.benchmarks.peers.Peer;
import org.rfaas.benchmarks.suite.BenchAll;
import org.rfaas.benchmarks.suite.SuiteSubjects;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code rfaas bench all}: the whole comparison, rFaaS vs raw transports vs gRPC, Hazelcast and an HTTP gateway. */
@Command(name = "all", mixinStandardHelpOptions = true,
        description = {"Latency vs payload, bandwidth, parallel invocations and cold start of rFaaS beside the raw",
                "transports and the peers a user would pick instead (gRPC-java, Hazelcast, an HTTP gateway),",
                "and the SeBS functions (bench sebs), in one run on this machine. Writes a table to stdout and",
                "CSV, PNG and summary.json to --out."})
public final class BenchAllCommand implements Callable<Integer> {

    @Option(names = "--quick",
            description = "Fewer sizes and shorter measurements (about 2 minutes, and some 4 for the SeBS functions).")
    boolean quick;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: ${DEFAULT-VALUE}).",
            defaultValue = "bench-out")
    Path out;

    @Option(names = "--providers", split = ",", paramLabel = "NAME",
            description = "Transports for rFaaS and raw rows (default: shm, tcp; add fabric:tcp explicitly).")
    List<String> providers;

    @Option(names = "--peers", split = ",", paramLabel = "PEER",
            description = "Peers to measure: ${COMPLETION-CANDIDATES} (default: all).")
    List<Peer> peers;

    @Override
    public Integer call() throws Exception {
        try (SuiteSubjects s = SuiteSubjects.forProviders(providers)) {
            BenchAll.Options o = new BenchAll.Options(quick, out, peers == null ? List.of(Peer.values()) : peers,
                    s.latency(), s.sections());
            BenchAll.run(o, System.out);
        }
        return 0;
    }
}
