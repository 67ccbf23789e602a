package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A spare is told to open the node's client transports other than its manager's. */
class SparePreloadArgumentsTest {
    @Test
    void namesEveryOtherListenTransportOnce() {
        List<String> listen = List.of("shm:/tmp/n0.sock", "tcp://0.0.0.0:7000", "fabric:tcp://0.0.0.0:7001",
                "tcp://127.0.0.1:7002");
        assertEquals("tcp,fabric:tcp", ExecutorLauncher.preloadTransports(listen, "shm:/tmp/n0.sock"));
        assertEquals("shm,fabric:tcp", ExecutorLauncher.preloadTransports(listen, "tcp://127.0.0.1:7002"));
        assertEquals("", ExecutorLauncher.preloadTransports(List.of("tcp://127.0.0.1:7000"), "tcp://127.0.0.1:7000"));
    }
}
