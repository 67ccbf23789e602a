package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.rfaas.protocol.PackageDigest;

/**
 * A spare is told to open the node's client transports other than its manager's, and a lease
 * prefers the spare that preloaded its package.
 */
class SparePreloadArgumentsTest {
    @Test
    void namesEveryOtherListenTransportOnceByItsFirstAddress() {
        List<String> listen = List.of("shm:/tmp/n0.sock", "tcp://0.0.0.0:7000", "fabric:tcp://0.0.0.0:7001",
                "tcp://127.0.0.1:7002");
        assertEquals("tcp://0.0.0.0:7000,fabric:tcp://0.0.0.0:7001",
                ExecutorLauncher.preloadTransports(listen, "shm:/tmp/n0.sock"));
        assertEquals("shm:/tmp/n0.sock,fabric:tcp://0.0.0.0:7001",
                ExecutorLauncher.preloadTransports(listen, "tcp://127.0.0.1:7002"));
        assertEquals("", ExecutorLauncher.preloadTransports(List.of("tcp://127.0.0.1:7000"), "tcp://127.0.0.1:7000"));
    }

    @Test
    void aLeaseTakesTheSpareThatPreloadedItsPackageElseOneThatPreloadedNothing() {
        PackageDigest a = PackageDigest.of(new byte[] {1});
        PackageDigest b = PackageDigest.of(new byte[] {2});
        assertTrue(SparePool.preloadRank(a, a) < SparePool.preloadRank(null, a), "same package first");
        assertTrue(SparePool.preloadRank(null, a) < SparePool.preloadRank(b, a),
                "then a spare without another tenant's package in its memory");
        assertEquals(SparePool.OTHER_PACKAGE, SparePool.preloadRank(b, a), "never one with another package");
        // A lease without a digest matches no preload.
        assertEquals(SparePool.preloadRank(b, a), SparePool.preloadRank(PackageDigest.NONE, PackageDigest.NONE));
    }
}
