package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Debian's libfabric links libinfinipath, whose constructor replaces the JVM's SIGSEGV handler by
 * one that writes {@code java.*.btr} into the working directory and exits, unless
 * {@code IPATH_NO_BACKTRACE} is set. A JVM that loads libfabric survives its own SIGSEGVs and
 * leaves no backtrace file when the CLI prepared the process, when the variable came from the
 * environment (as the {@code rfaas} launcher and the test configuration provide it), and when the
 * fabric transport loaded libfabric (it puts the JVM's handlers back).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LibfabricBacktraceSystemTest {
    private static final String GUARD = "IPATH_NO_BACKTRACE";
    private static final Path LIBINFINIPATH = Path.of("/usr/lib/x86_64-linux-gnu/libinfinipath.so.4");

    private Path dir;

    @BeforeEach
    void workDir() throws IOException {
        dir = SystemTestSupport.tempDir("btr");
    }

    @AfterEach
    void clean() {
        SystemTestSupport.deleteTree(dir);
    }

    @Test
    void theCliKeepsTheJvmSignalHandlerWhenLibfabricLoads() throws Exception {
        assertSurvived(probe("cli", "raw", false));
    }

    @Test
    void theLauncherEnvironmentKeepsTheJvmSignalHandler() throws Exception {
        assertSurvived(probe("bare", "raw", true));
    }

    @Test
    void theFabricTransportRestoresTheJvmSignalHandler() throws Exception {
        assertSurvived(probe("bare", "fabric", false));
    }

    /** Why the guard exists: without it the JVM dies at its first implicit null check, leaving a .btr file. */
    @Test
    void withoutTheGuardLibinfinipathKillsTheJvmAndWritesABacktrace() throws Exception {
        assumeTrue(Files.exists(LIBINFINIPATH), "no libinfinipath on this machine");
        Run r = probe("bare", "raw", false);
        assertTrue(r.output.contains("libfabric loaded"), r.output);
        assertNotEquals(0, r.exit, r.output);
        assertTrue(r.output.contains("terminated with signal 11"), r.output);
        assertEquals(1, backtraces().size(), r.output);
    }

    private void assertSurvived(Run r) throws IOException {
        assertEquals(0, r.exit, r.output);
        assertTrue(r.output.contains("survived"), r.output);
        assertEquals(List.of(), backtraces(), r.output);
    }

    private record Run(int exit, String output) {
    }

    private Run probe(String prepare, String load, boolean guardInEnvironment) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", SystemTestSupport.CHILD_LOGGING,
                "-cp", System.getProperty("java.class.path"), SignalProbeMain.class.getName(), prepare, load)
                .directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().remove(GUARD);
        if (guardInEnvironment) {
            pb.environment().put(GUARD, "1");
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        return new Run(p.exitValue(), out);
    }

    private List<Path> backtraces() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".btr")).toList();
        }
    }
}
