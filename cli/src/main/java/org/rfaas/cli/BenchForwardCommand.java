package org.rfaas.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code rfaas bench ...}: runs the benchmarks in a JVM of their own whose class path is this one
 * plus the benchmarks' jars ({@code bench-lib} beside the CLI's {@code lib}). The CLI and the
 * daemons it starts thereby never carry the benchmark peers (gRPC, Hazelcast, the HTTP-gateway
 * peer, JMH, XChart) on their class path; see docs/performance.md for the benchmarks themselves.
 */
@Command(name = "bench", description = {"Benchmarks that report ours vs the raw transport / a peer, measured in one run",
        "(rfaas bench --help lists them; they run in a JVM with the benchmarks' jars from bench-lib)."})
public final class BenchForwardCommand implements Callable<Integer> {
    /** The benchmarks' entry point, in module benchmarks. */
    static final String BENCH_MAIN = "org.rfaas.benchmarks.cli.BenchCommand";
    /** Overrides where the benchmarks' jars are. */
    static final String BENCH_LIB_PROPERTY = "rfaas.benchLib";

    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws IOException, InterruptedException {
        Path lib = benchLib();
        List<String> jars = jars(lib);
        if (jars.isEmpty()) {
            System.err.println("rfaas bench: no benchmark jars in " + lib + "; build them with"
                    + " `mvn -DskipTests package -pl cli -am` (./rfaas does) or set -D" + BENCH_LIB_PROPERTY + "=DIR");
            return 2;
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow(() -> new IOException("no java executable")));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path") + File.pathSeparator + lib.resolve("*"));
        cmd.add(BENCH_MAIN);
        cmd.addAll(args);
        Process child = new ProcessBuilder(cmd).inheritIO().start();
        Thread stop = new Thread(child::destroy);
        Runtime.getRuntime().addShutdownHook(stop);
        try {
            return child.waitFor();
        } finally {
            Runtime.getRuntime().removeShutdownHook(stop);
        }
    }

    /** {@code -Drfaas.benchLib}, else {@code bench-lib} beside the CLI's jar (or classes directory). */
    static Path benchLib() {
        String set = System.getProperty(BENCH_LIB_PROPERTY);
        if (set != null && !set.isBlank()) {
            return Path.of(set);
        }
        try {
            Path self = Path.of(BenchForwardCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return self.toAbsolutePath().getParent().resolve("bench-lib");
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the CLI's jar: " + e.getMessage(), e);
        }
    }

    private static List<String> jars(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar")).sorted().toList();
        }
    }
}
