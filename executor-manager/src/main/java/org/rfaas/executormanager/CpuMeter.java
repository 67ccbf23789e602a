package org.rfaas.executormanager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU time an executor used, read by the manager from the kernel, where the function cannot
 * reach it: its sandbox cgroup's (every thread and child it ever had), or without the sandbox the
 * JVM process's own ({@code /proc/PID/stat}, all its threads). This, not what the executor
 * reports, is the floor of its bill.
 */
interface CpuMeter {
    /** CPU nanoseconds so far, or -1 when they cannot be read (the process is gone). */
    long cpuNanos();

    /** The meter of a sandboxed executor. */
    static CpuMeter of(ExecutorCgroup cgroup) {
        return cgroup::cpuNanos;
    }

    /** The meter of an unconfined executor JVM. */
    static CpuMeter ofProcess(long pid) {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        return () -> {
            try {
                String s = Files.readString(stat);
                // Fields after the command (which may hold spaces), from its closing parenthesis:
                // state is field 3, utime 14, stime 15 (clock ticks, 100 per second on Linux).
                String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        };
    }
}
