package org.rfaas.demo.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The demo's "other processes used N cores": each other process's CPU in the interval, ours never. */
class MachineLoadTest {
    @Test
    void othersAreChargedForTheIntervalOnlyAndOursNever() throws Exception {
        ProcessHandle self = ProcessHandle.current();
        Process other = new ProcessBuilder("true").start();
        Process started = new ProcessBuilder("true").start();
        Process ended = new ProcessBuilder("true").start();
        Process child = new ProcessBuilder("true").start();
        for (Process p : new Process[] {other, started, ended, child}) {
            p.waitFor();
        }
        MachineLoad before = new MachineLoad(Map.of(self, 9_000_000_000L, other.toHandle(), 4_000_000_000L,
                ended.toHandle(), 3_000_000_000L), Set.of(self), 0);
        // 1 s later: another process used 0.5 s, one started and used 0.2 s, one of ours (a child
        // started meanwhile) 0.9 s, this one 1 s; the ended one is gone
        MachineLoad after = new MachineLoad(Map.of(self, 10_000_000_000L, other.toHandle(), 4_500_000_000L,
                started.toHandle(), 200_000_000L, child.toHandle(), 900_000_000L), Set.of(self, child.toHandle()),
                1_000_000_000L);
        assertEquals(0.7, after.otherCoresSince(before), 1e-9);
    }

    @Test
    void aSnapshotReadsThisProcessAsOurs() {
        MachineLoad now = MachineLoad.now();
        assertTrue(now.ours().contains(ProcessHandle.current()));
        assertTrue(now.cpuNanos().getOrDefault(ProcessHandle.current(), 0L) > 0, "this process's CPU time");
        assertTrue(now.cpuNanos().size() > 1, "other processes' CPU time");
        assertTrue(Double.isNaN(now.otherCoresSince(now)), "no interval");
    }
}
