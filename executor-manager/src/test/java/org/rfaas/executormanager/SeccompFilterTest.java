package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executor sandbox's seccomp filter, installed by bubblewrap as the sandbox does: a process
 * under it is in filter mode, a refused call (unshare) fails with EPERM, and a JVM still runs.
 */
class SeccompFilterTest {
    @TempDir
    Path dir;
    private Path filter;

    @BeforeEach
    void write() throws IOException {
        Assumptions.assumeTrue(SeccompFilter.supported(), "no filter for " + System.getProperty("os.arch"));
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/bwrap")), "bubblewrap is not installed");
        filter = SeccompFilter.writeTo(dir);
    }

    /** Runs {@code command} in bubblewrap under the filter; returns exit code and output. */
    private Result run(String... command) throws Exception {
        List<String> c = new ArrayList<>(List.of("/bin/sh", "-c", "exec 3<\"$1\" || exit 125; shift; exec \"$@\"", "sh",
                filter.toString(), "/usr/bin/bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                "--unshare-user", "--unshare-pid", "--seccomp", "3", "--"));
        c.addAll(List.of(command));
        Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "finished");
        return new Result(p.exitValue(), out);
    }

    private record Result(int exit, String output) {
    }

    @Test
    void aRefusedCallFailsWithEpermAndTheRestRuns() throws Exception {
        Result mode = run("/bin/grep", "^Seccomp:", "/proc/self/status");
        assertEquals(0, mode.exit(), mode.output());
        assertTrue(mode.output().matches("(?s)Seccomp:\\s+2\\s*"), "filter mode: " + mode.output());

        Result unshare = run("/usr/bin/unshare", "--user", "/bin/true");
        assertNotEquals(0, unshare.exit(), unshare.output());
        assertTrue(unshare.output().contains("Operation not permitted"), unshare.output());

        String java = ProcessHandle.current().info().command().orElseThrow();
        Result jvm = run(java, "-Xshare:off", "-version");
        assertEquals(0, jvm.exit(), jvm.output());
    }
}
