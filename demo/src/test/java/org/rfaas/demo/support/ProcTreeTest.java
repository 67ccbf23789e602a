package org.rfaas.demo.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProcTreeTest {
    /**
     * A launcher that only waits, whose child only waits (as a sandbox's two bubblewrap processes
     * do), and a spinning grandchild below them: the tree's CPU time is the grandchild's, and grows
     * while it spins.
     */
    @Test
    void countsTheCpuTimeOfEveryProcessBelowTheRoot() throws Exception {
        Process launcher = new ProcessBuilder("sh", "-c", "sh -c 'sh -c \"while :; do :; done\" & wait' & wait")
                .start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ProcTree.children(launcher.pid()).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(1, ProcTree.children(launcher.pid()).size(), "the launcher's one child");
            long before = ProcTree.treeCpuTicks(launcher.pid());
            Thread.sleep(500);
            long after = ProcTree.treeCpuTicks(launcher.pid());
            // 0.5 s of spinning is 50 ticks on an idle core; a loaded 2-CPU machine gives it less.
            assertTrue(after - before >= 5, "the spinning grandchild's CPU time is counted: " + before + " -> " + after);
        } finally {
            launcher.descendants().forEach(ProcessHandle::destroyForcibly);
            launcher.destroyForcibly();
            launcher.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aProcessThatIsGoneHasNoChildrenAndNoCpuTime() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor(10, TimeUnit.SECONDS);
        assertTrue(ProcTree.children(p.pid()).isEmpty());
        assertEquals(0, ProcTree.treeCpuTicks(p.pid()));
    }
}
