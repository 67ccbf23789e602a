package org.rfaas.systemtests;

import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.rfaas.client.RfaasClient;
import org.rfaas.executormanager.ExecutorManager;
import org.rfaas.executormanager.ExecutorManagerConfig;

/**
 * An executor manager in the test JVM (node0; by default tcp on 127.0.0.1, 2 cores, 2 GiB) in a
 * temporary directory of its own, and a client that leases from it; closed in the reverse order.
 */
final class InProcessNode implements AutoCloseable {
    final Path dir;
    final ExecutorManager manager;
    final RfaasClient client;

    private InProcessNode(Path dir, ExecutorManager manager, RfaasClient client) {
        this.dir = dir;
        this.manager = manager;
        this.client = client;
    }

    /** Starts the manager with the default config changed by {@code config} (spares, cache, ...). */
    static InProcessNode start(String name, UnaryOperator<ExecutorManagerConfig> config) throws Exception {
        return start(name, "tcp://127.0.0.1:0", 2, 2048, config);
    }

    /** Starts a manager of {@code cores} and {@code memoryMiB} listening on {@code listenAddress}. */
    static InProcessNode start(String name, String listenAddress, int cores, long memoryMiB,
            UnaryOperator<ExecutorManagerConfig> config) throws Exception {
        Path dir = SystemTestSupport.tempDir(name);
        ExecutorManager manager = new ExecutorManager(config.apply(ExecutorManagerConfig.of("node0",
                List.of(listenAddress), cores, memoryMiB, dir.resolve("work"))), null);
        RfaasClient client = RfaasClient.builder()
                .leaseSource(SystemTestSupport.database("node0", manager.start().getFirst(), cores, memoryMiB)).build();
        return new InProcessNode(dir, manager, client);
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            manager.close();
            SystemTestSupport.deleteTree(dir);
        }
    }
}
