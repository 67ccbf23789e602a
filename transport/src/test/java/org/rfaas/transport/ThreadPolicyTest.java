package org.rfaas.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ThreadPolicyTest {
    /** Field 41 of /proc/thread-self/stat: 5 is SCHED_IDLE, 0 SCHED_OTHER; only the calling thread changes. */
    @Test
    void onlyTheCallingThreadGoesIdle() throws Exception {
        List<Object> seen = new ArrayList<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                seen.add(policy());
                seen.add(ThreadPolicy.idle());
                seen.add(policy());
            } catch (Exception e) {
                seen.add(e.toString());
            }
        });
        t.join();
        assertEquals(List.of("0", true, "5"), seen);
        assertEquals("0", policy(), "the caller's thread changed");
    }

    /** Field 19 of /proc/self/task/TID/stat is the nice value: 19 on every compiler thread, the caller's unchanged. */
    @Test
    void theCompilerThreadsAndOnlyThemGoToNice19() throws Exception {
        String before = field(Path.of("/proc/thread-self/stat"), 19);
        int set = ThreadPolicy.lowerCompilerThreads();
        int compilers = 0;
        try (var tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                String comm = Files.readString(task.resolve("comm"));
                if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
                    compilers++;
                    assertEquals("19", field(task.resolve("stat"), 19), comm);
                }
            }
        }
        assertTrue(compilers > 0, "no compiler thread found in /proc/self/task");
        assertTrue(set > 0 && set <= compilers, set + " set of " + compilers);
        assertEquals(before, field(Path.of("/proc/thread-self/stat"), 19), "the caller's own nice value changed");
    }

    private static String field(Path stat, int n) throws Exception {
        String s = Files.readString(stat);
        return s.substring(s.lastIndexOf(')') + 2).trim().split(" ")[n - 3];
    }

    private static String policy() throws Exception {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        // The command name (field 2) may hold spaces: count from its closing parenthesis (field 3 on).
        String[] rest = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        assertTrue(rest.length > 41 - 3, stat);
        return rest[41 - 3];
    }
}
