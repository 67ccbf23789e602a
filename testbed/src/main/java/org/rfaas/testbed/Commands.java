package org.rfaas.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the short system commands ({@code ip}, {@code unshare}, {@code umount}) that build and tear down the testbed. */
final class Commands {
    private Commands() {
    }

    /** Exit status and merged stdout/stderr of a finished command. */
    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    /** Runs {@code command} to completion (at most 60 s); never throws for a non-zero exit. */
    static Result run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out: " + String.join(" ", command));
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, command.getFirst() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted: " + String.join(" ", command));
        }
    }

    /** Runs {@code command} and returns its output; a non-zero exit is an {@link UncheckedIOException}. */
    static String check(String... command) {
        Result r = run(List.of(command));
        if (!r.ok()) {
            throw new UncheckedIOException(new IOException(
                    "`" + String.join(" ", command) + "` failed (" + r.exitCode() + "): " + r.output().strip()));
        }
        return r.output();
    }
}
