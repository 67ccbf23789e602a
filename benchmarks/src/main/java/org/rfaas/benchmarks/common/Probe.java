package org.rfaas.benchmarks.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One compiled C probe (or the reason it is unavailable), obtained from {@link NativeProbes}.
 *
 * @param name the probe's name, e.g. {@code shm_probe}
 * @param executable the binary, or {@code null} when unavailable
 * @param unavailableReason why there is no binary, or {@code null}
 */
public record Probe(String name, Path executable, String unavailableReason) {

    static Probe available(String name, Path exe) {
        return new Probe(name, exe, null);
    }

    static Probe unavailable(String name, String reason) {
        return new Probe(name, null, reason);
    }

    /** {@code true} when the probe was built and can {@link #run}. */
    public boolean isAvailable() {
        return executable != null;
    }

    /**
     * Runs the probe and parses its output. An unavailable probe returns a {@link ProbeOutput.Skip}
     * with its reason instead of running.
     *
     * @throws ProbeFailedException when it exits non-zero, prints no result, or overruns
     *     {@code timeout} (then it is killed)
     */
    public ProbeOutput run(List<String> args, Duration timeout) {
        if (!isAvailable()) {
            return new ProbeOutput.Skip(unavailableReason);
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(executable.toString());
        cmd.addAll(args);
        Process p;
        try {
            p = new ProcessBuilder(cmd).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + executable + ": " + e.getMessage(), e);
        }
        try {
            // both pipes drained on other threads: a chatty probe never blocks, a hung one times out
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(p, true));
            CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> drain(p, false));
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new ProbeFailedException(name + " " + String.join(" ", args) + " did not finish within " + timeout);
            }
            String out = stdout.get(10, TimeUnit.SECONDS);
            String errText = err.get(10, TimeUnit.SECONDS);
            if (p.exitValue() != 0) {
                throw new ProbeFailedException(name + " " + String.join(" ", args) + " exited with " + p.exitValue()
                        + ": " + errText.strip());
            }
            try {
                return ProbeOutput.parse(out.lines().toList());
            } catch (IllegalArgumentException e) {
                throw new ProbeFailedException(name + ": " + e.getMessage() + " stderr: " + errText.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProbeFailedException(name + " interrupted");
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new ProbeFailedException(name + ": cannot read its stderr: " + e);
        } finally {
            if (p.isAlive()) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
    }

    private static String drain(Process p, boolean stderr) {
        try {
            return new String((stderr ? p.getErrorStream() : p.getInputStream()).readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /** A probe ran but did not deliver a result. */
    public static final class ProbeFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public ProbeFailedException(String message) {
            super(message);
        }
    }
}
