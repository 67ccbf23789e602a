package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.rfaas.client.ExecutorNode;
import org.rfaas.client.ExecutorsDatabase;
import org.rfaas.examples.ExamplePackages;

/** {@code rfaas invoke} as a user runs it: a child JVM, stdin in, stdout out, exit codes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class InvokeCommandSystemTest {
    Path dir;
    ManagerProcess manager;
    Path database;
    Path jar;
    Path library;

    record Result(int exit, byte[] stdout, String stderr) {
    }

    @BeforeAll
    void start() throws Exception {
        dir = SystemTestSupport.tempDir("invoke-cli");
        manager = ManagerProcess.start(dir, SystemTestSupport.managerConfig("node0", "tcp://127.0.0.1:0", 2, 2048,
                dir.resolve("work"), 1000), 1);
        database = dir.resolve("executors.json");
        ExecutorsDatabase.write(database, List.of(new ExecutorNode("node0", manager.addresses.getFirst(), 2, 2048)));
        jar = ExamplePackages.writeJar(dir.resolve("examples.jar"));
        library = ExamplePackages.buildNativeLibrary(dir);
    }

    @AfterAll
    void stop() {
        if (manager != null) {
            manager.close();
        }
        SystemTestSupport.deleteTree(dir);
    }

    @Test
    void javaAndNativeFunctionsFromStdinToStdout() throws Exception {
        Result echo = run("hello from stdin".getBytes(StandardCharsets.UTF_8), "--package", jar.toString(),
                "--function", "echo", "--mode", "warm");
        assertEquals(0, echo.exit(), echo.stderr());
        assertArrayEquals("hello from stdin".getBytes(StandardCharsets.UTF_8), echo.stdout());
        Result reverse = run("abc".getBytes(StandardCharsets.UTF_8), "--package", library.toString(), "--function",
                "reverse", "--mode", "warm");
        assertEquals(0, reverse.exit(), reverse.stderr());
        assertArrayEquals("cba".getBytes(StandardCharsets.UTF_8), reverse.stdout());
    }

    @Test
    void repeatPrintsLatencyPercentiles() throws Exception {
        Result r = run(new byte[] {1}, "--package", jar.toString(), "--function", "noop", "--repeat", "200", "--mode",
                "warm");
        assertEquals(0, r.exit(), r.stderr());
        String out = new String(r.stdout(), StandardCharsets.UTF_8);
        assertTrue(out.contains("p50") && out.contains("p99"), out);
    }

    @Test
    void errorsAreOneLineOnStderrAndANonZeroExit() throws Exception {
        Result unknown = run(new byte[] {1}, "--package", jar.toString(), "--function", "nope", "--mode", "warm");
        assertEquals(4, unknown.exit());
        assertTrue(lastLine(unknown.stderr()).startsWith("rfaas invoke: unknown function"), unknown.stderr());
        Result failed = run("x".getBytes(StandardCharsets.UTF_8), "--package", jar.toString(), "--function", "fail",
                "--mode", "warm");
        assertEquals(3, failed.exit());
        assertTrue(lastLine(failed.stderr()).contains("fail was asked to fail: x"), failed.stderr());
        Result refused = run(new byte[] {1}, "--package", jar.toString(), "--function", "echo", "--cores", "3");
        assertEquals(5, refused.exit());
        assertTrue(lastLine(refused.stderr()).startsWith("rfaas invoke: allocation refused"), refused.stderr());
    }

    private static String lastLine(String text) {
        List<String> lines = text.lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "" : lines.getLast();
    }

    private Result run(byte[] stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", SystemTestSupport.CHILD_LOGGING, "-cp", System.getProperty("java.class.path"),
                "org.rfaas.cli.Main", "invoke", "--executors", database.toString()));
        cmd.addAll(List.of(args));
        Path err = Files.createTempFile(dir, "stderr", ".txt");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        try {
            p.getOutputStream().write(stdin);
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("rfaas invoke did not finish");
            }
            return new Result(p.exitValue(), out, Files.readString(err));
        } finally {
            p.destroyForcibly();
        }
    }
}
