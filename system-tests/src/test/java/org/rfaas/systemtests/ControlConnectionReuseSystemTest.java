package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.examples.ExamplePackages;
import org.rfaas.executormanager.ExecutorManager;
import org.rfaas.executormanager.ExecutorManagerConfig;

/**
 * A client keeps its control connection to a manager after releasing a lease and allocates on it
 * again; when that manager was restarted meanwhile (same address, the kept connection dead), the
 * next allocation connects anew and works.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ControlConnectionReuseSystemTest {
    Path dir;
    ExecutorManager manager;
    RfaasClient client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (manager != null) {
            manager.close();
        }
        if (dir != null) {
            SystemTestSupport.deleteTree(dir);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"shm", "tcp"})
    void allocationsBeforeAndAfterTheManagerRestarts(String transport) throws Exception {
        dir = SystemTestSupport.tempDir("control-reuse");
        String address = transport.equals("shm") ? "shm:" + dir.resolve("manager.sock") : "tcp://127.0.0.1:" + freePort();
        manager = start(address, "a");
        client = RfaasClient.builder().leaseSource(SystemTestSupport.database("node0", address, 2, 2048)).build();
        FunctionPackage pkg = FunctionPackage.jar(ExamplePackages.writeJar(dir.resolve("examples.jar")));
        AllocationSpec spec = AllocationSpec.of(1, 128, HotTimeout.ALWAYS_WARM, pkg, 64, 64);
        // Two leases one after the other: the second on the first's kept control connection.
        for (byte b = 1; b <= 2; b++) {
            try (RemoteExecutor executor = client.allocate(spec)) {
                assertArrayEquals(new byte[] {b}, executor.invoke("echo", new byte[] {b}));
            }
        }
        manager.close();
        manager = start(address, "b");
        try (RemoteExecutor executor = client.allocate(spec)) {
            assertArrayEquals(new byte[] {3}, executor.invoke("echo", new byte[] {3}));
        }
    }

    private ExecutorManager start(String address, String name) {
        ExecutorManager m = new ExecutorManager(ExecutorManagerConfig.of("node0", List.of(address), 2, 2048,
                dir.resolve("work-" + name)).withSpareExecutors(0), null);
        m.start();
        return m;
    }

    private static int freePort() throws Exception {
        try (ServerSocketChannel s = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            return ((InetSocketAddress) s.getLocalAddress()).getPort();
        }
    }
}
