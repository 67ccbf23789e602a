package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.examples.ExamplePackages;
import org.rfaas.executormanager.ExecutorManager;
import java.nio.file.Path;

/** A spare executor JVM, started after a lease of the same heap size, serves the next lease. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SpareExecutorSystemTest {
    Path dir;
    ExecutorManager manager;
    RfaasClient client;

    InProcessNode node;

    @BeforeEach
    void start() throws Exception {
        node = InProcessNode.start("spare", c -> c.withSpareExecutors(1));
        dir = node.dir;
        manager = node.manager;
        client = node.client;
    }

    @AfterEach
    void stop() {
        node.close();
    }

    @Test
    void theNextLeaseOfTheSameSizeRunsInTheSpare() throws Exception {
        FunctionPackage pkg = FunctionPackage.jar(ExamplePackages.writeJar(dir.resolve("examples.jar")));
        AllocationSpec spec = AllocationSpec.of(1, 128, HotTimeout.ALWAYS_WARM, pkg, 64, 64);
        try (RemoteExecutor first = client.allocate(spec)) {
            assertArrayEquals(new byte[] {1}, first.invoke("echo", new byte[] {1}));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (manager.spareExecutorPids().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        long sparePid = manager.spareExecutorPids().getFirst();
        try (RemoteExecutor second = client.allocate(spec)) {
            assertArrayEquals(new byte[] {2, 3}, second.invoke("echo", new byte[] {2, 3}));
            assertEquals(sparePid, manager.activeLeases().iterator().next().executorPid());
        }
    }
}
