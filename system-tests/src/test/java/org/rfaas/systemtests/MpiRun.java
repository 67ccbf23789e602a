package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** {@code mpirun -np 2} of a Java main class on this test's class path, for the MPI system tests. */
final class MpiRun {
    private MpiRun() {
    }

    /** Skips the calling test (printing why) when Open MPI's {@code mpirun} is not installed. */
    static void assumeMpirun(String test) {
        boolean found = Files.isExecutable(Path.of("/usr/bin/mpirun")) || Files.isExecutable(Path.of("/usr/local/bin/mpirun"));
        if (!found) {
            System.out.println(test + " skipped: mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)");
        }
        Assumptions.assumeTrue(found, "mpirun is not installed");
    }

    /**
     * Runs 2 ranks of {@code mainClass} (as root: {@code --allow-run-as-root}; oversubscribing
     * the CPUs is allowed), prints and returns the output, and asserts exit code 0 within 150 s.
     */
    static String run(Path dir, String mainClass, List<String> args) throws IOException, InterruptedException {
        String classPath = System.getProperty("java.class.path");
        List<String> cmd = new ArrayList<>(List.of("mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2",
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC", SystemTestSupport.CHILD_LOGGING, "-cp", classPath, mainClass));
        cmd.addAll(args);
        Path log = Files.createTempFile(dir, "mpirun", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(150, TimeUnit.SECONDS);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        System.out.println(String.join(" ", cmd).replace(classPath, "CP") + "\n" + out);
        assertTrue(done, "mpirun timed out:\n" + out);
        assertEquals(0, p.exitValue(), "mpirun failed:\n" + out);
        return out;
    }
}
