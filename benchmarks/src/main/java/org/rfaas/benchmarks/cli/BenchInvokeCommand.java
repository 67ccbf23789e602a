package org.rfaas.benchmarks.cli;

import org.rfaas.benchmarks.invoke.BenchInvoke;
import org.rfaas.benchmarks.invoke.ClusterBenchInvoke;
import org.rfaas.benchmarks.suite.SuiteSubjects;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code rfaas bench invoke}: invocation round trips beside the raw transport, and cold starts. */
@Command(name = "invoke", mixinStandardHelpOptions = true,
        description = {"Hot and warm round trips of an echo function at 1 B, 1 KiB, 64 KiB and 1 MiB on every",
                "provider, beside the raw transport ping-pong of the same size and mode (overhead = ours - raw),",
                "cold starts (allocation request -> first result) over a local executor manager, and pipelined",
                "throughput (1, 8, 64 calls in flight at 8 B and 1 KiB) beside the raw pipelined ping-pong."})
public final class BenchInvokeCommand implements Callable<Integer> {

    @Option(names = "--quick", description = "Shorter measurements and 10 cold starts (about a minute).")
    boolean quick;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the rows as JSON.")
    Path json;

    @Option(names = "--providers", split = ",", paramLabel = "NAME",
            description = "Transports (default: shm, tcp; add fabric:tcp explicitly).")
    List<String> providers;

    @Option(names = "--only", split = ",", paramLabel = "PART",
            description = "Run only these parts: latency (hot and warm round trips), cold, pipelined (default: all).")
    List<String> only;

    @Option(names = "--cluster", description = {"Across two hosts of a namespace cluster (needs root): the client on one,",
            "the raw echo server and the executor manager on the other; tcp unless --providers says otherwise."})
    boolean cluster;

    @Override
    public Integer call() throws Exception {
        if (cluster) {
            List<String> args = new ArrayList<>();
            if (quick) {
                args.add("--quick");
            }
            if (json != null) {
                args.add("--json=" + json.toAbsolutePath());
            }
            if (providers != null) {
                args.add("--providers=" + String.join(",", providers));
            }
            return ClusterBenchInvoke.run(args);
        }
        List<String> use = providers != null ? providers : SuiteSubjects.available(SuiteSubjects.DEFAULT_PROVIDERS);
        BenchInvoke.run(new BenchInvoke.Options(quick, use, json, only == null ? java.util.Set.of()
                : new java.util.HashSet<>(only)), System.out);
        return 0;
    }
}
