package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.client.AllocationRefusedException;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.RfaasClient;
import org.rfaas.examples.ExamplePackages;
import org.rfaas.executormanager.ExecutorManager;
import org.rfaas.executormanager.ExecutorManagerConfig;

/**
 * An executor that cannot even be started: the manager's fork of the executor JVM fails (here
 * with {@code E2BIG}: one JVM option longer than the kernel accepts for a single argument). The
 * client must get a refusal that says so, not a closed connection, and the node must get the
 * lease's cores back, so that the next request is answered the same way rather than "no capacity".
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SpawnFailureSystemTest {
    /** Longer than MAX_ARG_STRLEN (128 KiB): execve refuses the whole command. */
    private static final String UNSPAWNABLE_OPTION = "-Drfaas.test.padding=" + "x".repeat(200_000);

    private Path dir;
    private ExecutorManager manager;
    private RfaasClient client;
    private Path jar;

    @BeforeEach
    void start() throws Exception {
        dir = SystemTestSupport.tempDir("spawn-failure");
        ExecutorManagerConfig base = ExecutorManagerConfig.of("node0", List.of("tcp://127.0.0.1:0"), 4, 4096,
                dir.resolve("work"));
        ExecutorManagerConfig config = new ExecutorManagerConfig(base.node(), base.listen(), base.cores(),
                base.memoryMiB(), base.workDir(), 0, 2000, 0, List.of(UNSPAWNABLE_OPTION), null, null, 0, 0L, null);
        manager = new ExecutorManager(config, null);
        String address = manager.start().getFirst();
        client = RfaasClient.builder().leaseSource(SystemTestSupport.database("node0", address, 4, 4096)).build();
        jar = ExamplePackages.writeJar(dir.resolve("examples.jar"));
    }

    @AfterEach
    void stop() {
        try {
            client.close();
        } finally {
            manager.close();
            SystemTestSupport.deleteTree(dir);
        }
    }

    @Test
    void aFailedForkIsRefusedWithItsCauseAndGivesTheCoresBack() {
        for (int attempt = 1; attempt <= 2; attempt++) {
            AllocationRefusedException e = assertThrows(AllocationRefusedException.class,
                    () -> client.allocate(AllocationSpec.of(4, 256, HotTimeout.ALWAYS_WARM, FunctionPackage.jar(jar),
                            64, 64)), "attempt " + attempt);
            String message = e.getMessage();
            assertTrue(message.contains("SPAWN_FAILED") && message.contains("cannot start an executor"),
                    "attempt " + attempt + " was refused with: " + message);
            assertEquals(4, manager.freeCores(), "cores back after attempt " + attempt);
            assertEquals(4096, manager.freeMemoryMiB(), "memory back after attempt " + attempt);
            assertTrue(manager.activeLeases().isEmpty(), "no lease left after attempt " + attempt);
        }
    }
}
