package org.rfaas.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A process started in one {@link Host} of a {@link NamespaceCluster}, with its stdout and stderr in
 * files. {@link #close()} stops it (SIGTERM, then SIGKILL after a grace period) and its descendants.
 */
public final class HostProcess implements AutoCloseable {
    private final Host host;
    private final String name;
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    HostProcess(Host host, String name, Process process, Path stdout, Path stderr) {
        this.host = host;
        this.name = name;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** The host it runs in. */
    public Host host() {
        return host;
    }

    /** The name given at start (also the stem of its log files). */
    public String name() {
        return name;
    }

    /** Its process id (nsenter execs the command, so this is the command's own pid). */
    public long pid() {
        return process.pid();
    }

    /** The underlying process (for stdin, exit status). */
    public Process process() {
        return process;
    }

    /** File with its standard output. */
    public Path stdout() {
        return stdout;
    }

    /** File with its standard error. */
    public Path stderr() {
        return stderr;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for it to exit; returns its exit status. */
    public int waitFor(Duration timeout) throws InterruptedException, TimeoutException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new TimeoutException(name + " on " + host.name() + " still running after " + timeout);
        }
        return process.exitValue();
    }

    /**
     * Waits until a line of its standard output matches {@code match}; returns that line.
     *
     * @throws TimeoutException when no line matched in time or the process exited first (the
     *         message carries the tail of its stderr)
     */
    public String awaitOutputLine(Predicate<String> match, Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<String> line = outputLines().filter(match).findFirst();
            if (line.isPresent()) {
                return line.get();
            }
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new TimeoutException(name + " on " + host.name() + (process.isAlive() ? " printed no matching line in "
                        + timeout : " exited with " + process.exitValue()) + "; stderr tail:\n" + tail(stderr, 40));
            }
            Thread.sleep(20);
        }
    }

    /** The lines it printed so far. */
    public java.util.stream.Stream<String> outputLines() {
        try {
            return Files.exists(stdout) ? Files.readString(stdout, StandardCharsets.UTF_8).lines()
                    : java.util.stream.Stream.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SIGKILLs it and its descendants at once. */
    public void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /** SIGTERM, up to 10 s for a clean exit, then SIGKILL (descendants too). */
    @Override
    public void close() {
        var descendants = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                kill();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
        } finally {
            descendants.forEach(ProcessHandle::destroyForcibly);
        }
    }

    /** The last {@code lines} lines of a file, or a note that it cannot be read. */
    public static String tail(Path file, int lines) {
        try {
            var all = Files.readString(file, StandardCharsets.UTF_8).lines().toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(" + file + ": " + e.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        return name + "@" + host.name() + "[pid " + pid() + "]";
    }
}
