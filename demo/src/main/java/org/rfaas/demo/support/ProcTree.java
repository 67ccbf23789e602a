package org.rfaas.demo.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A process tree's CPU time, read from {@code /proc} for that tree only.
 * {@link ProcessHandle#children()} and {@code descendants()} read the {@code stat} file of every
 * process on the machine to find the parents: {@link NodeSettling}'s scan took 5-9 ms of CPU every
 * 200 ms that way, inside the manager whose cold starts it was there to keep quiet. A process
 * that is gone reads as having no children and no CPU time.
 */
final class ProcTree {
    private ProcTree() {
    }

    /**
     * The children that {@code pid}'s main thread started: a sandbox launcher's, and a spare's JVM
     * (which starts none). A multi-threaded parent that forks from other threads (a manager's JVM)
     * is not walked this way.
     */
    static List<Long> children(long pid) {
        List<Long> out = new ArrayList<>();
        String id = Long.toString(pid);
        for (String s : read(Path.of("/proc", id, "task", id, "children")).trim().split(" ")) {
            if (!s.isEmpty()) {
                try {
                    out.add(Long.parseLong(s));
                } catch (NumberFormatException e) {
                    return out; // not a pid list: nothing more to count
                }
            }
        }
        return out;
    }

    /** User and system CPU time of {@code pid} and everything below it, in clock ticks (1/100 s). */
    static long treeCpuTicks(long pid) {
        long ticks = cpuTicks(pid);
        for (long child : children(pid)) {
            ticks += treeCpuTicks(child);
        }
        return ticks;
    }

    private static long cpuTicks(long pid) {
        String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
        int end = stat.lastIndexOf(')'); // the command name may hold spaces and parentheses
        if (end < 0) {
            return 0;
        }
        String[] f = stat.substring(end + 2).split(" ");
        try {
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15: utime, stime
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
