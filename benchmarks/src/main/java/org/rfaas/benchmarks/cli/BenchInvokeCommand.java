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
import org.rfaas.benchmarks.invoke.RfaasEcho;

/** {@code rfaas bench invoke}: invocation round trips beside the raw transport, and cold starts. */
@Command(name = "invoke", mixinStandardHelpOptions = true,
        description = {"Hot and warm round trips of an echo function at 1 B, 1 KiB, 64 KiB, 1, 5 and 16 MiB on",
                "every provider, beside the raw transport ping-pong of the same size and mode (overhead = ours - raw;",
                "from 64 KiB on also the bandwidth of both and rFaaS as a fraction of raw),",
                "cold starts (allocation request -> first result) over a local executor manager, and pipelined",
                "throughput (1, 8, 64 calls in flight at 8 B and 1 KiB) beside the raw pipelined ping-pong,",
                "and scatter over 1, 2, 8 cores beside the same calls made one blocking call after another."})
public final class BenchInvokeCommand implements Callable<Integer> {

    @Option(names = "--quick", description = "Shorter measurements and 10 cold starts (about a minute).")
    boolean quick;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the rows as JSON.")
    Path json;

    @Option(names = "--providers", split = ",", paramLabel = "NAME",
            description = "Transports (default: shm, tcp; add fabric:tcp explicitly).")
    List<String> providers;

    @Option(names = "--sizes", split = ",", paramLabel = "BYTES",
            description = "Payload sizes in bytes (default: 1,1024,65536,1048576,5242880,16777216; at most 16 MiB).")
    List<Integer> sizes;

    @Option(names = "--only", split = ",", paramLabel = "PART",
            description = "Run only these parts: latency (hot and warm round trips), cold (from a spare executor), cold-forked (no spare: each lease forks its JVM), pipelined, scaling (scatter over 1, 2, 8 cores beside k blocking calls) (default: all).")
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
        List<Integer> payloads = sizes != null ? sizes : BenchInvoke.SIZES;
        for (int s : payloads) {
            if (s < 1 || s > RfaasEcho.CAPACITY) {
                throw new IllegalArgumentException("--sizes: " + s + " is outside 1.." + RfaasEcho.CAPACITY);
            }
        }
        BenchInvoke.run(new BenchInvoke.Options(quick, use, json, only == null ? java.util.Set.of()
                : new java.util.HashSet<>(only), payloads), System.out);
        return 0;
    }
}
