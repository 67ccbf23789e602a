package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which address a manager bound to 0.0.0.0 tells others (loopback only: 127.0.0.x). */
class AdvertisedAddressTest {
    @Test
    void theRouteToTheResourceManagersHostPicksTheLocalAddress() throws Exception {
        InetAddress local = AdvertisedAddress.routeTo(InetAddress.getByName("127.0.0.7"));
        assertNotNull(local, "loopback routes to 127.0.0.7");
        assertTrue(local.isLoopbackAddress(), local.toString());
        assertEquals(List.of("tcp://" + local.getHostAddress() + ":7000",
                        "fabric:tcp://" + local.getHostAddress() + ":7001", "shm:/tmp/x"),
                AdvertisedAddress.of(List.of("tcp://0.0.0.0:7000", "fabric:tcp://0.0.0.0:7001", "shm:/tmp/x"), List.of(),
                        InetAddress.getByName("127.0.0.7")));
    }

    @Test
    void aBoundHostIsKeptAndTheConfigOverridesByTransport() throws Exception {
        InetAddress rm = InetAddress.getByName("127.0.0.9");
        assertEquals(List.of("tcp://127.0.0.3:7000"), AdvertisedAddress.of(List.of("tcp://127.0.0.3:7000"), List.of(), rm));
        assertEquals(List.of("tcp://127.0.0.5:9000", "fabric:tcp://127.0.0.6:9001"),
                AdvertisedAddress.of(List.of("tcp://0.0.0.0:7000", "fabric:tcp://0.0.0.0:7001"),
                        List.of("fabric:tcp://127.0.0.6:9001", "tcp://127.0.0.5:9000"), rm));
    }

    @Test
    void withoutAResourceManagerANonLoopbackAddressOrLoopbackIsAdvertised() {
        InetAddress picked = AdvertisedAddress.pick(null);
        InetAddress first = AdvertisedAddress.firstNonLoopback();
        assertEquals(first != null ? first : InetAddress.getLoopbackAddress(), picked);
        String advertised = AdvertisedAddress.of(List.of("tcp://0.0.0.0:7000"), List.of(), null).getFirst();
        assertFalse(AdvertisedAddress.isWildcard(advertised), advertised);
    }

    @Test
    void wildcardHostsAndHostReplacement() {
        assertTrue(AdvertisedAddress.isWildcard("tcp://0.0.0.0:1"));
        assertTrue(AdvertisedAddress.isWildcard("fabric:tcp://[::]:1"));
        assertFalse(AdvertisedAddress.isWildcard("tcp://127.0.0.1:1"));
        assertFalse(AdvertisedAddress.isWildcard("shm:/tmp/a"));
        assertEquals("fabric:tcp://127.0.0.2:5", AdvertisedAddress.withHost("fabric:tcp://0.0.0.0:5", "127.0.0.2"));
        assertEquals("tcp://[::1]:5", AdvertisedAddress.withHost("tcp://[::]:5", "::1"));
    }

    @Test
    void theConfigRefusesAWildcardOrDuplicateAdvertiseEntry(@TempDir Path dir) {
        ExecutorManagerConfig base = ExecutorManagerConfig.of("n", List.of("tcp://0.0.0.0:0"), 1, 64, dir);
        for (List<String> bad : List.of(List.of("tcp://0.0.0.0:7000"), List.of("127.0.0.1:7000"),
                List.of("tcp://127.0.0.1:1", "tcp://127.0.0.2:2"))) {
            assertThrows(IllegalArgumentException.class, () -> new ExecutorManagerConfig(base.node(), base.listen(),
                    1, 64, dir, 0, 0, 0, null, null, null, 0, 0L, bad), bad.toString());
        }
    }

    @Test
    void aManagerBoundToTheWildcardAdvertisesAReachableAddress(@TempDir Path dir) {
        ExecutorManagerConfig config = ExecutorManagerConfig.of("n", List.of("tcp://0.0.0.0:0"), 1, 64, dir)
                .withSpareExecutors(0).withSpareMemoryMiB(0);
        try (ExecutorManager manager = new ExecutorManager(config, null)) {
            String bound = manager.start().getFirst();
            String advertised = manager.advertisedAddresses().getFirst();
            assertTrue(AdvertisedAddress.isWildcard(bound), bound);
            assertFalse(AdvertisedAddress.isWildcard(advertised), advertised);
            assertEquals(bound.substring(bound.lastIndexOf(':')), advertised.substring(advertised.lastIndexOf(':')));
        }
    }
}
