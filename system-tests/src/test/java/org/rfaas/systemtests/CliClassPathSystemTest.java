package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped CLI's class path, as the {@code rfaas} launcher builds it ({@code cli/target/rfaas-cli.jar}
 * and {@code cli/target/lib/*}), carries none of the benchmark peers: the executor manager and the
 * resource manager run on it. The benchmarks' jars sit in {@code cli/target/bench-lib}, and
 * {@code rfaas bench} still finds them.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CliClassPathSystemTest {
    /** Jars of the benchmarks module and of the peers it measures against (gRPC, Hazelcast, JMH, XChart). */
    private static final Pattern BENCHMARK_JAR = Pattern.compile(
            "^(rfaas-benchmarks|grpc-|hazelcast|jmh-|xchart|VectorGraphics2D|pdfbox|jopt-simple|progressbar).*\\.jar$");

    private static final Path CLI_TARGET = moduleDir().resolveSibling("cli").resolve("target");

    @Test
    void daemonClassPathHasNoBenchmarkPeerButBenchLibHasThem() throws IOException {
        List<String> lib = jars(CLI_TARGET.resolve("lib"));
        assertTrue(lib.stream().anyMatch(n -> n.startsWith("rfaas-executor-manager-")), "cli/target/lib: " + lib);
        assertTrue(lib.stream().anyMatch(n -> n.startsWith("rfaas-resource-manager-")), "cli/target/lib: " + lib);
        List<String> peers = lib.stream().filter(n -> BENCHMARK_JAR.matcher(n).matches()).toList();
        assertEquals(List.of(), peers, "benchmark jars on the CLI's runtime class path (cli/target/lib)");

        List<String> bench = jars(CLI_TARGET.resolve("bench-lib"));
        for (String prefix : List.of("rfaas-benchmarks-", "grpc-netty-shaded-", "hazelcast-", "jmh-core-", "xchart-")) {
            assertTrue(bench.stream().anyMatch(n -> n.startsWith(prefix)), prefix + "* missing from cli/target/bench-lib: " + bench);
        }
        assertTrue(bench.stream().noneMatch(lib::contains), "bench-lib repeats jars of lib: " + bench);
    }

    @Test
    void launcherRunsTheCliOnLibOnly() throws IOException {
        String launcher = Files.readString(moduleDir().resolveSibling("rfaas"), StandardCharsets.UTF_8);
        List<String> cp = launcher.lines().filter(l -> l.contains("-cp ")).toList();
        assertEquals(List.of("  -Drfaas.launcher=\"$ROOT/rfaas\" -cp \"$JAR:$ROOT/cli/target/lib/*\")"), cp,
                "the one class path in ./rfaas");
        assertTrue(launcher.lines().filter(l -> l.contains("org.rfaas.cli.Main")).allMatch(l -> l.contains("\"${CLI[@]}\"")),
                "every CLI start in ./rfaas uses that class path");
    }

    @Test
    void daemonsStartOnTheShippedClassPathAndBenchStillRuns() throws Exception {
        for (String command : List.of("executor-manager", "resource-manager", "demo")) {
            Result r = cli(command, "--help");
            assertEquals(0, r.exit, command + " --help: " + r.output);
            assertTrue(r.output.contains("Usage: rfaas " + command), r.output);
        }
        Result bench = cli("bench", "--help");
        assertEquals(0, bench.exit, bench.output);
        assertTrue(bench.output.contains("Usage: rfaas bench"), bench.output);
        assertTrue(Pattern.compile("(?m)^\\s+invoke\\s").matcher(bench.output).find(), bench.output);
    }

    /**
     * The launcher's training run ({@code rfaas train-cli} with {@code -XX:AOTCacheOutput}) makes a
     * cache from which a CLI JVM maps the commands, logging, the executors database's parser, the
     * client's invocation path and the transports (strict AOT mode: the JVM fails when it cannot
     * use the cache; it loads the cache's classes at start, whatever the command).
     */
    @Test
    void theTrainingRunMakesAnAotCacheThatHoldsTheClientAndItsTransports(@TempDir Path dir) throws Exception {
        Path cache = dir.resolve("rfaas-cli.aot");
        Result training = cli(List.of("-XX:AOTCacheOutput=" + cache), "train-cli");
        assertEquals(0, training.exit, training.output);
        assertTrue(training.output.contains("rfaas train-cli: rehearsed 3 of 3 transports"), training.output);
        assertTrue(Files.size(cache) > 0, "no cache written: " + training.output);

        Result used = cli(List.of("-XX:AOTCache=" + cache, "-XX:AOTMode=on", "-Xlog:class+load=info"), "--version");
        assertEquals(0, used.exit, used.output);
        for (String cls : List.of("org.rfaas.cli.InvokeCommand", "ch.qos.logback.classic.LoggerContext",
                "com.fasterxml.jackson.core.JsonFactory", "org.rfaas.client.HotPathWarmup",
                "org.rfaas.transport.tcp.TcpConnection", "org.rfaas.transport.shm.ShmConnection",
                "org.rfaas.transport.fabric.Fi")) {
            assertTrue(used.output.contains(" " + cls + " source: shared objects file"), cls + " not mapped from the cache");
        }
    }

    private record Result(int exit, String output) {
    }

    /** {@code rfaas ARGS} on the launcher's class path; stdout and stderr together. */
    private static Result cli(String... args) throws IOException, InterruptedException {
        return cli(List.of(), args);
    }

    /** As {@link #cli(String...)}, with JVM options {@code jvm} added. */
    private static Result cli(List<String> jvm, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xss1m", SystemTestSupport.CHILD_LOGGING));
        cmd.addAll(jvm);
        cmd.addAll(List.of("-cp", CLI_TARGET.resolve("rfaas-cli.jar") + File.pathSeparator
                + CLI_TARGET.resolve("lib").resolve("*"), "org.rfaas.cli.Main"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "rfaas " + String.join(" ", args) + " did not exit: " + out);
        return new Result(p.exitValue(), out);
    }

    private static List<String> jars(Path dir) throws IOException {
        assertTrue(Files.isDirectory(dir), dir + " is missing: package module cli first");
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar")).sorted().toList();
        }
    }

    private static Path moduleDir() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
    }
}
