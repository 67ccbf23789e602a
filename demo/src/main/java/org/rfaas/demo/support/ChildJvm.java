package org.rfaas.demo.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A server process of a benchmark: a child JVM on this JVM's class path running {@code mainClass}.
 *
 * <p>The child announces itself by printing one line {@code READY <value>} on stdout (a port, a
 * path) and runs until its stdin reaches end of file, so it dies with its parent even when the
 * parent is killed. Its stderr goes to a log file whose tail is quoted when it fails to start; the
 * file is deleted when the child is closed unless the system property {@code rfaas.bench.keepLogs}
 * is {@code true}.
 */
public final class ChildJvm implements AutoCloseable {
    private static final String READY = "READY ";

    private final Process process;
    private final String ready;
    private final Path log;

    private ChildJvm(Process process, String ready, Path log) {
        this.process = process;
        this.ready = ready;
        this.log = log;
    }

    /**
     * Starts {@code mainClass} with {@code args} and waits up to {@code timeout} for its READY line.
     *
     * @param jvmOptions extra JVM options (heap, system properties)
     * @throws IOException when the process cannot start, exits early or does not become ready
     */
    public static ChildJvm start(String mainClass, List<String> jvmOptions, List<String> args, Duration timeout)
            throws IOException {
        return start(mainClass, jvmOptions, args, timeout, line -> { });
    }

    /**
     * Like {@link #start(String, List, List, Duration)}, and hands every other stdout line of the
     * child than its READY line, before it as well as after, to {@code onLine} (on a reader thread).
     */
    public static ChildJvm start(String mainClass, List<String> jvmOptions, List<String> args, Duration timeout,
                                 Consumer<String> onLine) throws IOException {
        return start(mainClass, jvmOptions, Map.of(), args, timeout, onLine);
    }

    /**
     * Like {@link #start(String, List, List, Duration, Consumer)}, with {@code environment} added
     * to the child's environment (which every process it starts inherits).
     */
    public static ChildJvm start(String mainClass, List<String> jvmOptions, Map<String, String> environment,
                                 List<String> args, Duration timeout, Consumer<String> onLine) throws IOException {
        List<String> cmd = new ArrayList<>(ServerPlacement.enterCommand());
        cmd.add(ProcessHandle.current().info().command().orElseThrow(
                () -> new IOException("cannot find the java executable of this JVM")));
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-Djava.awt.headless=true");
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        Path log = Files.createTempFile("rfaas-bench-" + mainClass.substring(mainClass.lastIndexOf('.') + 1) + "-", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.to(log.toFile()));
        // setenv in this JVM does not reach ProcessBuilder's copy of the environment: say it again.
        pb.environment().putIfAbsent(NativeEnvironment.LIBFABRIC_SIGNAL_GUARD, "1");
        pb.environment().putAll(environment);
        Process p = pb.start();
        BlockingQueue<String> lines = new ArrayBlockingQueue<>(1);
        Thread reader = Thread.ofPlatform().daemon().name("child-stdout-" + p.pid()).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                boolean announced = false;
                while ((line = r.readLine()) != null) {
                    if (!announced && line.startsWith(READY)) {
                        announced = true;
                        lines.offer(line.substring(READY.length()).trim());
                    } else {
                        // Also the lines before READY: a child's state line printed first (a node's
                        // "STATE settled", printed once) must not be lost in a race with READY.
                        onLine.accept(line);
                    }
                }
            } catch (IOException e) {
                // The child closed its stdout (it exited); start() reports that through its exit code.
                lines.offer("");
            }
            lines.offer("");
        });
        String value;
        try {
            value = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            value = null;
        }
        if (value == null || value.isEmpty()) {
            p.destroyForcibly();
            reader.interrupt();
            String why = value == null ? "did not print READY within " + timeout.toSeconds() + " s"
                    : "exited before it was ready (exit code " + waitExit(p) + ")";
            throw new IOException(mainClass + " " + args + " " + why + "; its log " + log + " ends with:\n" + tail(log));
        }
        return new ChildJvm(p, value, log);
    }

    private static String waitExit(Process p) {
        try {
            return p.waitFor(5, TimeUnit.SECONDS) ? String.valueOf(p.exitValue()) : "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    private static String tail(Path log) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - 30), all.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** What the child printed after {@code READY}. */
    public String ready() {
        return ready;
    }

    /** The child's process id. */
    public long pid() {
        return process.pid();
    }

    /** {@code true} while the child runs. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** Closes the child's stdin (it exits), then kills it if it is still there after 3 s. */
    @Override
    public void close() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // Already gone: nothing to tell it.
        }
        try {
            if (!process.waitFor(3, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        if (Boolean.getBoolean("rfaas.bench.keepLogs")) {
            System.err.println("kept the log of child " + process.pid() + ": " + log);
            return;
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException e) {
            // A leftover temp file is harmless.
        }
    }

    /**
     * For child mains: prints the READY line, then blocks until stdin closes (the parent is gone or
     * asked us to stop).
     */
    public static void announceAndAwaitParent(String value) throws IOException {
        announce(value);
        awaitParent();
    }

    /** The child's side, first half: prints the READY line; what it prints besides reaches the parent's {@code onLine}. */
    public static void announce(String value) {
        System.out.println(READY + value);
        System.out.flush();
    }

    /** The child's side, second half: returns when the parent closed our stdin (or died). */
    public static void awaitParent() throws IOException {
        while (System.in.read() >= 0) {
            // Drain: the parent never writes; end of file is the stop signal.
        }
    }
}
