package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code rfaas demo} as a user runs it: a child JVM running the CLI; exit code 0, the whole table
 * down to the billing summary read back from the resource manager, and no process of the demo left
 * behind, nothing in its temporary directory, no crash backtrace in its working directory.
 *
 * <p>Other tests may run rfaas processes on this machine at the same time, so "left behind" means
 * only processes of this demo: every descendant seen while it ran (a {@link ProcessHandle} knows
 * its start time, so a reused pid is not mistaken for it), and every process whose command line
 * names the demo's private temporary directory (the demo runs with {@code java.io.tmpdir} set to
 * a directory with a unique name, and its executor manager's config lives there).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DemoSystemTest {

    @Test
    void demoPrintsItsTableWithBillingAndLeavesNoProcessBehind() throws Exception {
        // a short name: the shm socket paths under it must fit in 108 bytes
        Path tmp = SystemTestSupport.tempDir("dt");
        Map<Long, ProcessHandle> seen = new ConcurrentHashMap<>();
        Process p = null;
        try {
            List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                    "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Djava.io.tmpdir=" + tmp,
                    SystemTestSupport.CHILD_LOGGING, "-cp", System.getProperty("java.class.path"),
                    "org.rfaas.cli.Main", "demo"));
            Path err = tmp.resolve("demo.err");
            // Its working directory too: a JVM that met a foreign SIGSEGV handler would write *.btr there.
            p = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectError(err.toFile()).start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            InputStream stdout = p.getInputStream();
            Process demo = p;
            Thread reader = Thread.ofPlatform().daemon().start(() -> {
                try {
                    stdout.transferTo(out);
                } catch (IOException e) {
                    // the demo closed its stdout: it exited
                }
            });
            while (!p.waitFor(50, TimeUnit.MILLISECONDS)) {
                demo.descendants().forEach(h -> seen.putIfAbsent(h.pid(), h));
            }
            reader.join(10_000);
            String text = out.toString(StandardCharsets.UTF_8);
            String why = "demo output:\n" + text + "\nstderr (tail):\n" + tail(err);

            assertEquals(0, p.exitValue(), why);
            assertTrue(text.contains("resource manager: http://127.0.0.1:"), why);
            assertTrue(Pattern.compile("(?m)^executor manager: pid \\d+, node demo-node, listening on shm:").matcher(text).find(), why);
            assertTrue(text.contains("with an altered token: refused"), why);
            assertTrue(Pattern.compile("(?m)^java\\s+echo\\s+cold\\s+3\\s").matcher(text).find(), why);
            assertTrue(Pattern.compile("(?m)^java\\s+echo\\s+warm\\s+1000\\s").matcher(text).find(), why);
            assertTrue(Pattern.compile("(?m)^java\\s+echo\\s+hot\\s+5000\\s").matcher(text).find(), why);
            assertTrue(Pattern.compile("(?m)^java\\s+warm\\s+\\d+\\s+demo-node\\s+\\d+\\s+verified").matcher(text).find(), why);
            assertTrue(Pattern.compile("(?m)^java\\s+hot\\s+\\d+\\s+demo-node\\s+\\d+\\s+verified").matcher(text).find(), why);
            assertTrue(Pattern.compile("(?m)^java hot: node settled .*: measuring$").matcher(text).find()
                    || text.contains("sharing the cores"), why);
            int billing = text.indexOf("Billing summary, read back from the resource manager");
            assertTrue(billing >= 0, why);
            assertTrue(Pattern.compile("(?m)^demo\\s+total\\s+\\d+ leases\\s+\\S+ \\S+\\s+\\S+ \\S+\\s+\\S+ \\S+\\s+\\d+\\.\\d MiB\\*s$")
                    .matcher(text.substring(billing)).find(), why);
            assertTrue(text.contains("no process left behind"), why);
            assertTrue(text.contains("nothing left in " + tmp), why);

            // The demo waited for its children before it exited; give stragglers a moment anyway.
            long deadline = System.nanoTime() + 5_000_000_000L;
            List<String> left;
            do {
                left = leftBehind(seen, tmp);
            } while (!left.isEmpty() && System.nanoTime() < deadline && sleep());
            assertTrue(left.isEmpty(), "left behind by the demo: " + left + "\n" + why);
            // Nothing in its temporary directory (its own, see above) but what this test put there.
            try (Stream<Path> entries = Files.list(tmp)) {
                List<String> files = entries.map(f -> f.getFileName().toString()).filter(n -> !n.equals("demo.err")).toList();
                assertEquals(List.of(), files, "left in the demo's temporary directory " + tmp + "\n" + why);
            }
            assertEquals(List.of(), backtraces(tmp), "JVM crash backtraces (*.btr) in the demo's working directory\n" + why);
            assertTrue(seen.size() >= 2, "the demo should have run an executor manager and executors as its descendants,"
                    + " saw " + seen.keySet() + "\n" + why);
        } finally {
            if (p != null) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            seen.values().forEach(ProcessHandle::destroyForcibly);
            SystemTestSupport.deleteTree(tmp);
        }
    }

    /** Descendants seen while the demo ran that still live, and any process naming its temp directory. */
    private static List<String> leftBehind(Map<Long, ProcessHandle> seen, Path tmp) {
        List<String> left = new ArrayList<>();
        seen.values().stream().filter(ProcessHandle::isAlive)
                .forEach(h -> left.add(h.pid() + " " + h.info().commandLine().orElse("?")));
        String marker = tmp.toString();
        ProcessHandle.allProcesses()
                .filter(h -> h.pid() != ProcessHandle.current().pid() && !seen.containsKey(h.pid()))
                .filter(h -> h.info().commandLine().orElse("").contains(marker))
                .forEach(h -> left.add(h.pid() + " " + h.info().commandLine().orElse("?")));
        return left;
    }

    private static List<String> backtraces(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".btr")).toList();
        }
    }

    private static boolean sleep() {
        try {
            Thread.sleep(100);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}
