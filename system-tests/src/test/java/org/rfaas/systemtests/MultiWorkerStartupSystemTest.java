package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.examples.ExamplePackages;

/**
 * Regression test for 2-core leases that came up with only one worker on a loaded machine: leases
 * of 2 cores are allocated several times in a row, two at a time (so two executor JVMs start and
 * handshake concurrently against two client listeners), and each one must serve a scatter on both
 * workers. Warm executors, because the threads outnumber the 2 cores of the test machine.
 */
class MultiWorkerStartupSystemTest {
    private static final int ROUNDS = 3;

    @ParameterizedTest
    @ValueSource(strings = {"shm:", "tcp://127.0.0.1:0"})
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void twoCoreLeasesStartBothWorkersEveryTime(String listen) throws Exception {
        Path dir = SystemTestSupport.tempDir("startup");
        ManagerProcess manager = null;
        try {
            manager = ManagerProcess.start(dir, SystemTestSupport.managerConfig("node0", listen, 4, 4096,
                    dir.resolve("work"), 2000), 1);
            Path jar = ExamplePackages.writeJar(dir.resolve("examples.jar"));
            try (RfaasClient client = RfaasClient.builder()
                    .leaseSource(SystemTestSupport.database("node0", manager.addresses.getFirst(), 4, 4096))
                    .allocationTimeout(Duration.ofSeconds(90)).build()) {
                for (int round = 0; round < ROUNDS; round++) {
                    List<CompletableFuture<RemoteExecutor>> starting = new ArrayList<>();
                    for (int i = 0; i < 2; i++) {
                        starting.add(CompletableFuture.supplyAsync(() -> client.allocate(AllocationSpec.of(2, 128,
                                HotTimeout.ALWAYS_WARM, FunctionPackage.jar(jar), 4096, 4096))));
                    }
                    List<RemoteExecutor> executors = new ArrayList<>();
                    try {
                        for (CompletableFuture<RemoteExecutor> f : starting) {
                            executors.add(f.get(120, TimeUnit.SECONDS));
                        }
                        for (RemoteExecutor e : executors) {
                            assertEquals(2, e.cores());
                            String tag = listen + " round " + round + " lease " + e.leaseId();
                            List<byte[]> inputs = List.of((tag + " worker 0").getBytes(StandardCharsets.UTF_8),
                                    (tag + " worker 1").getBytes(StandardCharsets.UTF_8));
                            List<byte[]> outputs = e.scatter("echo", inputs).get(60, TimeUnit.SECONDS);
                            assertArrayEquals(inputs.get(0), outputs.get(0), tag);
                            assertArrayEquals(inputs.get(1), outputs.get(1), tag);
                        }
                    } finally {
                        for (CompletableFuture<RemoteExecutor> f : starting) {
                            f.thenAccept(RemoteExecutor::close);
                        }
                        executors.forEach(RemoteExecutor::close);
                    }
                }
            }
        } catch (Throwable t) {
            if (manager != null) {
                manager.dumpLogs();
            }
            throw t;
        } finally {
            if (manager != null) {
                manager.close();
            }
            SystemTestSupport.deleteTree(dir);
        }
    }
}
