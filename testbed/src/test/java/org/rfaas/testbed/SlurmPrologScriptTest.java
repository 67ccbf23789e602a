package org.rfaas.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/slurm/rfaas-prolog's local check, with no resource manager listening: it waits while a lease
 * executor runs in its node's network namespace, fails the prolog when the wait times out, and ignores
 * executors of other hosts, spare executors and the AOT training run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SlurmPrologScriptTest {
    static final Path PROLOG = Path.of(System.getProperty("user.dir")).getParent().resolve("deploy/slurm/rfaas-prolog");
    @TempDir
    static Path dir;
    NamespaceCluster cluster;
    Path conf;

    @BeforeAll
    void start() throws Exception {
        TestbedAssumptions.assumeNamespaces();
        cluster = NamespaceCluster.start(2, dir.resolve("hosts"));
        Files.writeString(dir.resolve("token"), "unused-admin-token");
        conf = dir.resolve("rfaas-slurm.conf");
        // Nothing listens on host 2's port 9: the drain request is refused and the local check decides.
        Files.writeString(conf, """
                RFAAS_RM_URL=http://%s:9
                RFAAS_ADMIN_TOKEN_FILE=%s
                RFAAS_DRAIN_TIMEOUT=2
                RFAAS_SLURM_LOG=%s
                """.formatted(cluster.host(2).address(), dir.resolve("token"), dir.resolve("prolog.log")));
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    Host.Result prolog(Host host) {
        return host.run(List.of(PROLOG.toString()), Map.of("RFAAS_SLURM_CONFIG", conf.toString(),
                "SLURMD_NODENAME", host.name(), "SLURM_JOB_ID", "7"));
    }

    /**
     * A process whose command line names the executor's main class like an executor JVM's
     * ({@code ... org.rfaas.executor.ExecutorMain [--spare ...]}): a bash that waits on a sleep.
     */
    HostProcess fakeExecutor(Host host, String name, String... extra) {
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", "-c", "sleep 600; :", "java",
                "org.rfaas.executor.ExecutorMain"));
        cmd.addAll(List.of(extra));
        return host.start(name, cmd);
    }

    @Test
    void aLeaseExecutorOnTheNodeFailsTheProlog() throws Exception {
        try (HostProcess executor = fakeExecutor(cluster.host(1), "executor")) {
            Thread.sleep(200);
            long start = System.nanoTime();
            Host.Result r = prolog(cluster.host(1));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(1, r.exitCode(), r.output());
            assertTrue(millis >= 2000, "gave up after " + millis + " ms, before RFAAS_DRAIN_TIMEOUT");
            String log = Files.readString(dir.resolve("prolog.log"));
            assertTrue(log.contains("node=rfx-h1 TIMEOUT after 2s: 0 active lease(s), 1 executor process(es)"), log);
        }
    }

    @Test
    void executorsOfOtherHostsSparesAndTheTrainingRunDoNotCount() throws Exception {
        try (HostProcess other = fakeExecutor(cluster.host(2), "other-host");
                HostProcess spare = fakeExecutor(cluster.host(1), "spare", "--spare", "--manager", "x");
                HostProcess training = fakeExecutor(cluster.host(1), "training", "--train")) {
            Thread.sleep(200);
            Host.Result r = prolog(cluster.host(1));
            assertEquals(0, r.exitCode(), r.output() + Files.readString(dir.resolve("prolog.log")));
            assertTrue(other.isAlive() && spare.isAlive() && training.isAlive());
        }
    }
}
