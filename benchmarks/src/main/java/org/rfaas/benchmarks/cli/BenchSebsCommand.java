package org.rfaas.benchmarks.cli;

import org.rfaas.benchmarks.common.Progress;
import org.rfaas.benchmarks.invoke.NodePool;
import org.rfaas.benchmarks.sebs.SebsBench;
import org.rfaas.benchmarks.suite.Machine;
import org.rfaas.benchmarks.suite.Report;
import org.rfaas.benchmarks.suite.SuiteSubjects;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code rfaas bench sebs}: the SeBS functions on rFaaS beside the same work in the client's process. */
@Command(name = "sebs", mixinStandardHelpOptions = true,
        description = {"The SeBS thumbnailer and image recognition through a local executor manager: cold start with",
                "the package uncached and cached, warm and hot latency per image size, each beside the same work",
                "in this process (overhead = rFaaS - local). Writes a table to stdout and CSV, PNG and summary.json",
                "to --out."})
public final class BenchSebsCommand implements Callable<Integer> {

    @Option(names = "--quick", description = "Two image sizes, 3 cold starts and 15 timed calls per row after 100 warm-up calls (a few minutes).")
    boolean quick;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: ${DEFAULT-VALUE}).",
            defaultValue = "bench-out/sebs")
    Path out;

    @Option(names = "--providers", split = ",", paramLabel = "NAME",
            description = "Transports (default: shm, tcp).")
    List<String> providers;

    @Override
    public Integer call() throws Exception {
        List<String> use = providers != null ? providers : SuiteSubjects.available(SuiteSubjects.DEFAULT_PROVIDERS);
        Report report = new Report();
        report.note("command", "rfaas bench sebs" + (quick ? " --quick" : "") + " --out " + out);
        report.note("machine", Machine.describe());
        List<String> failures;
        try (NodePool nodes = new NodePool();
                Progress progress = Progress.start("bench sebs", SebsBench.steps(use))) {
            failures = SebsBench.run(report, nodes, use, quick, progress);
        }
        report.note("loadavg_at_end", Machine.loadAverage());
        List<Path> files = report.write(out);
        report.printTable(System.out);
        failures.forEach(f -> System.out.println("FAILED: " + f));
        System.out.println("wrote " + files.size() + " files to " + out.toAbsolutePath() + "; load average at end "
                + Machine.loadAverage() + " on " + Runtime.getRuntime().availableProcessors() + " CPUs");
        return failures.isEmpty() ? 0 : 1;
    }
}
