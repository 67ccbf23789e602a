package org.rfaas.benchmarks.peers;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.rfaas.benchmarks.suite.RoundTrip;

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Starts each peer's server process(es), echoes a few payloads, and checks nothing is left behind. */
class PeersSmokeTest {

    @ParameterizedTest
    @EnumSource(Peer.class)
    @Timeout(value = 300, unit = TimeUnit.SECONDS) // Hazelcast needs minutes to form a cluster on a saturated 2-vCPU machine
    void echoesAndStopsItsServers(Peer peer) throws Exception {
        Set<Long> before = children();
        RoundTrip rt = peer.start();
        Set<Long> started = children();
        started.removeAll(before);
        try {
            assertFalse(started.isEmpty(), "the peer runs its server in a child process");
            for (int bytes : List.of(1, 1024, 70_000)) {
                rt.prepare(bytes); // checks the echo byte for byte
                for (int i = 0; i < 3; i++) {
                    assertEquals(bytes, rt.call());
                }
            }
        } finally {
            rt.close();
        }
        for (long pid : started) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "server process " + pid + " stopped");
        }
    }

    private static Set<Long> children() {
        return ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .map(ProcessHandle::pid).collect(Collectors.toCollection(java.util.HashSet::new));
    }
}
