package org.rfaas.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A real Slurm on the namespace cluster: nodes come up idle, a job runs on the node it was sent to, after its prolog. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SlurmClusterTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void needsNamespacesAndSlurm() {
        TestbedAssumptions.assumeNamespaces();
        Optional<String> why = SlurmCluster.unavailableReason();
        why.ifPresent(r -> System.out.println("SKIPPED (Slurm): " + r));
        Assumptions.assumeTrue(why.isEmpty(), () -> why.orElse(""));
    }

    @Test
    void nodesComeUpIdleAndABatchJobRunsOnItsNodeAfterTheProlog() throws Exception {
        Path prolog = dir.resolve("prolog");
        Path epilog = dir.resolve("epilog");
        // The prolog and epilog leave a mark named after the job and the node they ran on.
        Files.writeString(prolog, "#!/bin/sh\necho \"$SLURMD_NODENAME $(hostname)\" > " + dir + "/prolog-$SLURM_JOB_ID\n");
        Files.writeString(epilog, "#!/bin/sh\necho \"$SLURMD_NODENAME $(hostname)\" > " + dir + "/epilog-$SLURM_JOB_ID\n");
        Files.setPosixFilePermissions(prolog, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(epilog, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (NamespaceCluster c = NamespaceCluster.start(4, dir.resolve("hosts"));
                SlurmCluster slurm = SlurmCluster.builder(c, dir.resolve("slurm")).controller(c.host(1))
                        .nodes(List.of(c.host(2), c.host(3), c.host(4))).prolog(prolog).epilog(epilog).start()) {
            assertEquals(Map.of("rfx-h2", "idle", "rfx-h3", "idle", "rfx-h4", "idle"), slurm.nodeStates());
            long job = slurm.sbatch(c.host(1), "rfx-h3", """
                    #!/bin/sh
                    echo "host $(hostname)"
                    echo "net $(readlink /proc/self/ns/net)"
                    test -f %s/prolog-$SLURM_JOB_ID && echo "prolog ran before me"
                    """.formatted(dir));
            assertEquals("COMPLETED", slurm.awaitJobState(job, Duration.ofSeconds(60), "COMPLETED", "FAILED", "NODE_FAIL",
                    "CANCELLED", "TIMEOUT"), () -> slurm.logTail());
            String out = Files.readString(slurm.jobOutput(job));
            assertTrue(out.contains("host rfx-h3\n"), out);
            String netns = c.host(3).run("readlink", "/proc/self/ns/net").output().strip();
            assertTrue(out.contains("net " + netns + "\n"), out + " vs " + netns);
            assertTrue(out.contains("prolog ran before me"), out);
            assertEquals("rfx-h3 rfx-h3", Files.readString(dir.resolve("prolog-" + job)).strip());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(dir.resolve("epilog-" + job)) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals("rfx-h3 rfx-h3", Files.readString(dir.resolve("epilog-" + job)).strip());
        }
        NamespaceClusterTest.assertNothingLeft(List.of());
    }
}
