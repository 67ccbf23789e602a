package org.rfaas.benchmarks.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.ProfilerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rfaas bench micro}: the JMH micro-benchmarks of the hot path (flyweight encode + validate,
 * in-process shm/tcp write + poll), run through the JMH Runner API with the GC profiler on, so the
 * table shows both ns/op and the normalized allocation rate (B/op).
 */
@Command(name = "micro", mixinStandardHelpOptions = true,
        description = {"JMH micro-benchmarks of the hot path: invocation/reply header encode + validate, and a 64 B",
            "shm and tcp Connection write + poll between two connections of one JVM on one thread.",
            "Runs with -prof gc (gc.alloc.rate.norm must be ~0 B/op). Any other arguments go to JMH,",
            "e.g. '-prof stack', '-f 2', '-wi 5', or a benchmark regex such as 'ConnectionBench'."})
public final class BenchMicroCommand implements Callable<Integer> {
    /** Matches every benchmark in the micro package (JMH includes are regexes, found anywhere in the name). */
    static final String INCLUDE = "org\\.rfaas\\.benchmarks\\.micro\\..*";

    @Option(names = "--quick", description = "Shorter run (warm-up 2 x 0.5 s, measurement 3 x 0.5 s, 1 fork) for a smoke check; "
            + "explicit JMH options still win.")
    boolean quick;

    @CommandLine.Unmatched
    List<String> jmhArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        CommandLineOptions user;
        try {
            user = new CommandLineOptions(jmhArgs.toArray(String[]::new));
        } catch (CommandLineOptionException e) {
            System.err.println("rfaas bench micro: bad JMH option: " + e.getMessage());
            return 2;
        }
        OptionsBuilder b = new OptionsBuilder();
        b.parent(user);
        if (user.getIncludes().isEmpty()) {
            b.include(INCLUDE);
        }
        boolean hasGc = false;
        for (ProfilerConfig p : user.getProfilers()) {
            hasGc |= p.getKlass().equals("gc") || p.getKlass().equals(GCProfiler.class.getName());
        }
        if (!hasGc) {
            b.addProfiler(GCProfiler.class);
        }
        if (!user.shouldFailOnError().hasValue()) {
            b.shouldFailOnError(true);
        }
        if (quick) {
            if (!user.getForkCount().hasValue()) {
                b.forks(1);
            }
            if (!user.getWarmupIterations().hasValue()) {
                b.warmupIterations(2);
            }
            if (!user.getWarmupTime().hasValue()) {
                b.warmupTime(TimeValue.milliseconds(500));
            }
            if (!user.getMeasurementIterations().hasValue()) {
                b.measurementIterations(3);
            }
            if (!user.getMeasurementTime().hasValue()) {
                b.measurementTime(TimeValue.milliseconds(500));
            }
        }
        Collection<RunResult> results = new Runner(b.build()).run();
        printSummary(results);
        return 0;
    }

    /** One line per benchmark: time per op and the normalized allocation rate, the two numbers reviewers ask for. */
    private static void printSummary(Collection<RunResult> results) {
        System.out.println();
        System.out.println("rfaas bench micro summary (time per op, allocation per op):");
        System.out.printf("%-52s %14s %16s%n", "benchmark", "ns/op", "alloc B/op");
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark().replace("org.rfaas.benchmarks.micro.", "");
            String transport = r.getParams().getParam("transport");
            if (transport != null) {
                name += " [" + transport + "]";
            }
            Result<?> primary = r.getPrimaryResult();
            String alloc = "n/a";
            for (Map.Entry<String, Result> e : r.getSecondaryResults().entrySet()) {
                if (e.getKey().endsWith("gc.alloc.rate.norm")) {
                    alloc = String.format("%.3f", e.getValue().getScore());
                }
            }
            System.out.printf("%-52s %14.1f %16s%n", name, primary.getScore(), alloc);
        }
    }
}
