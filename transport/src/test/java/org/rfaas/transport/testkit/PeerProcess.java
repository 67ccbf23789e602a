package org.rfaas.transport.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM running a main class from the test class path, with its stdout and stderr captured
 * line by line. Always close it (try-with-resources): closing kills the process if it still runs,
 * and a shutdown hook kills whatever a crashed test left behind.
 */
public final class PeerProcess implements AutoCloseable {
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "peer-reaper"));
    }

    private final String name;
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuffer transcript = new StringBuffer();
    private final Writer stdin;

    private PeerProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread pump = new Thread(this::pump, "peer-output-" + name);
        pump.setDaemon(true);
        pump.start();
    }

    /**
     * Starts {@code mainClass} in a new JVM with this JVM's class path.
     *
     * @param name for messages and thread names
     * @param jvmOptions extra JVM options (system properties, library paths)
     */
    public static PeerProcess start(String name, List<String> jvmOptions, Class<?> mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1"); // starts faster; the tests check behaviour, not speed
        cmd.add("-Xmx192m");
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(args);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            LIVE.add(p);
            return new PeerProcess(name, p);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start peer JVM " + name + ": " + e.getMessage(), e);
        }
    }

    private void pump() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                transcript.append(line).append('\n');
                lines.add(line);
            }
        } catch (IOException e) {
            transcript.append("[output pump failed: ").append(e).append("]\n");
        }
    }

    /** Waits for an output line starting with {@code prefix} and returns it. */
    public String awaitLine(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw new AssertionError("peer " + name + " printed no line starting with '" + prefix + "' within "
                        + timeout.toMillis() + " ms" + describe());
            }
            String line = lines.poll(Math.min(remaining, 100_000_000L), TimeUnit.NANOSECONDS);
            if (line != null && line.startsWith(prefix)) {
                return line;
            }
            if (line == null && !process.isAlive() && lines.isEmpty()) {
                Thread.sleep(50); // let the pump drain the last lines
                if (lines.isEmpty()) {
                    throw new AssertionError("peer " + name + " exited with " + process.exitValue() + " before printing '"
                            + prefix + "'" + describe());
                }
            }
        }
    }

    /** Sends one line to the child's stdin. */
    public void send(String line) throws IOException {
        stdin.write(line + "\n");
        stdin.flush();
    }

    /** Kills the child with SIGKILL and waits until it is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        LIVE.remove(process);
    }

    /** Waits for a normal exit and returns the exit code; fails the test on timeout. */
    public int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("peer " + name + " did not exit within " + timeout.toMillis() + " ms" + describe());
        }
        LIVE.remove(process);
        return process.exitValue();
    }

    /** The underlying process. */
    public Process process() {
        return process;
    }

    /** Everything the child printed so far, for assertion messages. */
    public String describe() {
        return "\n--- output of peer " + name + " (pid " + process.pid() + ") ---\n" + transcript + "--- end ---";
    }

    /** Kills the child if it still runs. Never throws; an interrupt is kept for the caller. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the kill is sent; the reaper collects it
            }
        }
        LIVE.remove(process);
        try {
            stdin.close();
        } catch (IOException e) {
            // the child is gone; its stdin pipe may already be broken
            transcript.append("[closing stdin: ").append(e).append("]\n");
        }
    }
}
