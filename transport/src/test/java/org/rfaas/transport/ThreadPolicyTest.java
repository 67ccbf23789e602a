package org.rfaas.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ThreadPolicyTest {
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
}
