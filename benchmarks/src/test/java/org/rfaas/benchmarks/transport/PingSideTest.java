package org.rfaas.benchmarks.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.demo.support.LatencyStats;
import org.rfaas.transport.Transports;

/**
 * The benchmark's ping/pong harness between this JVM and a child JVM over the tcp transport: every
 * echo is checked (length, immediate, slot) by the harness itself, in both modes and at a size that
 * needs several socket reads; closing stops the child.
 */
class PingSideTest {

    @Test
    @Timeout(120)
    void pingsAChildJvmInBothModesAndStopsIt() {
        Assumptions.assumeTrue(Transports.schemes().contains("tcp"), "the tcp provider is not on the class path");
        Set<ProcessHandle> before = Set.copyOf(ProcessHandle.current().children().toList());
        try (PingSide ping = new PingSide("tcp", 64 * 1024, -1, -1)) {
            for (Mode mode : Mode.values()) {
                for (int bytes : List.of(0, 8, 64 * 1024)) {
                    LatencyStats s = ping.round(bytes, mode, 50, 5);
                    assertEquals(50, s.count(), mode + " " + bytes);
                    assertTrue(s.minNs() > 0 && s.medianNs() <= s.maxNs(), () -> mode + " " + bytes + ": " + s);
                }
            }
        }
        List<ProcessHandle> left = ProcessHandle.current().children().filter(p -> !before.contains(p)).toList();
        assertTrue(left.stream().noneMatch(ProcessHandle::isAlive), "the pong JVM outlived close(): " + left);
    }
}
