package org.rfaas.benchmarks.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.rfaas.benchmarks.transport.TransportBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rfaas bench transport}: transport ping-pong round trips against C references. */
@Command(name = "transport", mixinStandardHelpOptions = true,
        description = {
            "Ping-pong round trips over each transport between two processes (this JVM = ping, a child JVM = pong), "
                    + "hot (both sides busy-poll) and warm (both sides sleep in the kernel), at 8 B .. 1 MiB.",
            "Each row alternates rounds with a C reference compiled on the fly with gcc (shm busy-poll / futex, "
                    + "TCP busy-poll / blocking, libfabric) and prints median and p99, the ratio ours/C and the CPU "
                    + "placement (near/far) before and after the row.",
            ""})
public final class BenchTransportCommand implements Callable<Integer> {

    @Option(names = "--quick", description = "Fewer, shorter rounds; ends within a minute.")
    boolean quick;

    @Option(names = "--json", paramLabel = "FILE",
            description = "Also write the rows as a JSON array: provider, mode, bytes, median_ns, p99_ns, baseline_median_ns, ratio.")
    Path json;

    @Option(names = "--providers", split = ",", paramLabel = "NAME",
            description = "Transports to measure (default: ${DEFAULT-VALUE}).",
            defaultValue = "shm,tcp,fabric:tcp,fabric:shm")
    List<String> providers;

    @Option(names = "--sizes", split = ",", paramLabel = "BYTES",
            description = "Payload sizes in bytes, at most 1048576 (default: ${DEFAULT-VALUE}).",
            defaultValue = "8,64,1024,65536,1048576")
    List<Integer> sizes;

    @Option(names = "--cpus", split = ",", paramLabel = "CPU",
            description = "The ping and pong CPUs, e.g. 0,1; -1,-1 runs unpinned (default: 0,1 on a machine with 2+ CPUs).")
    List<Integer> cpus;

    @Option(names = "--verbose", description = "Print every round's medians (ours and C) to stderr.")
    boolean verbose;

    @Override
    public Integer call() {
        TransportBenchmark.Options d = TransportBenchmark.Options.defaults(quick);
        int ping = d.cpuPing();
        int pong = d.cpuPong();
        if (cpus != null) {
            if (cpus.size() != 2) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--cpus takes two CPUs, e.g. --cpus 0,1");
            }
            ping = cpus.get(0);
            pong = cpus.get(1);
        }
        var options = new TransportBenchmark.Options(quick, providers, sizes, json, ping, pong, verbose);
        var rows = new TransportBenchmark(options, System.out).run();
        return rows.isEmpty() ? 1 : 0;
    }
}
