package org.rfaas.systemtests;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** An executor manager in a child JVM ({@code rfaas executor-manager --config}), for system tests. */
final class ManagerProcess implements AutoCloseable {
    final Process process;
    final List<String> addresses = new ArrayList<>();
    final Path log;

    private ManagerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts a manager with the given config JSON and waits until it printed its addresses. */
    static ManagerProcess start(Path dir, String configJson, int listenCount) throws IOException {
        Path config = dir.resolve("manager.json");
        Files.writeString(config, configJson);
        Path log = dir.resolve("manager.log");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", SystemTestSupport.CHILD_LOGGING, "-cp", System.getProperty("java.class.path"),
                "org.rfaas.cli.Main", "executor-manager", "--config", config.toString()));
        Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        ManagerProcess m = new ManagerProcess(p, log);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (m.addresses.size() < listenCount) {
            String line = out.readLine();
            if (line == null || System.nanoTime() > deadline) {
                m.close();
                throw new IllegalStateException("executor manager did not start; log:\n" + Files.readString(log));
            }
            if (line.startsWith("listening ")) {
                m.addresses.add(line.substring("listening ".length()).trim());
            }
        }
        return m;
    }

    /** Executor processes spawned by this manager. */
    List<ProcessHandle> executors() {
        return process.children().filter(ProcessHandle::isAlive).toList();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            dumpLogs();
        }
    }

    /** Copies the manager's and executors' logs into the test output, for post-mortems. */
    void dumpLogs() {
        try {
            System.err.println("----- executor manager log " + log);
            System.err.println(Files.readString(log).lines().filter(l -> !l.contains("|-")).reduce("", (a, b) -> a + b + "\n"));
            try (var files = Files.walk(log.getParent())) {
                for (Path f : files.filter(f -> f.getFileName().toString().equals("executor.log")).toList()) {
                    System.err.println("----- " + f);
                    System.err.println(Files.readString(f));
                }
            }
        } catch (IOException e) {
            System.err.println("cannot read logs: " + e);
        }
    }
}
