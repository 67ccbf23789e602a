package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManagerRehearsalTest {
    @TempDir
    Path dir;

    /** The rehearsal runs in the manager's work directory: it must leave nothing there. */
    @Test
    void leavesNothingInItsScratchDirectory() throws Exception {
        ManagerRehearsal.run(dir);
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.toList());
        }
    }

    /** The rehearsal thread runs on idle CPU time only: SCHED_IDLE (5), field 41 of the thread's stat. */
    @Test
    void aDemotedThreadRunsUnderSchedIdle() throws Exception {
        AtomicBoolean demoted = new AtomicBoolean();
        AtomicReference<String> policy = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            demoted.set(IdleThread.demoteCurrentThread());
            try {
                policy.set(policyOf(Files.readString(Path.of("/proc/thread-self/stat"))));
            } catch (Exception e) {
                policy.set(e.toString());
            }
        });
        t.join();
        assertTrue(demoted.get(), "sched_setscheduler(SCHED_IDLE) failed");
        assertEquals("5", policy.get());
        assertEquals("0", policyOf(Files.readString(Path.of("/proc/thread-self/stat"))), "the caller's thread changed");
    }

    /** Field 41 (policy) of a stat line; the command name (field 2) may hold spaces, so count after its ')'. */
    private static String policyOf(String stat) {
        String[] rest = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return rest[41 - 3];
    }
}
