package org.rfaas.transport;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Linux scheduling of this JVM's threads, through FFM.
 *
 * <ul>
 *   <li>{@link #lowerCompilerThreads()}: the JIT's compiler threads to nice 19.
 *   <li>{@link #lowerThisThread()}: the calling thread to nice 19.
 * </ul>
 *
 * <p>Deliberately no {@code SCHED_IDLE} for a thread that runs Java code: every safepoint and
 * handshake of the JVM waits until each thread running Java code reaches a poll, and a runnable
 * idle-priority thread on a loaded machine may not run for seconds. A manager whose rehearsal ran
 * at {@code SCHED_IDLE} beside spinning ranks froze whole (its heartbeat thread blocked, not
 * runnable) for 0.6-2 s at a time, and its clients declared it lost. Idle CPU weight for a whole
 * process comes from its cgroup instead (a spare's {@code cpu.idle}), where all its threads wait alike.
 */
public final class ThreadPolicy {
    /** {@code PRIO_PROCESS} in {@code <sys/resource.h>}: with a thread id, that thread's nice value. */
    private static final int PRIO_PROCESS = 0;
    /** The weakest nice value. */
    public static final int LOWEST_NICE = 19;
    private static final MethodHandle SET_PRIORITY = link("setpriority",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private ThreadPolicy() {
    }

    private static MethodHandle link(String name, FunctionDescriptor descriptor) {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find(name).map(f -> linker.downcallHandle(f, descriptor)).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null; // no native access: the work runs at normal priority
        }
    }

    /**
     * Sets the JIT's compiler threads of this JVM ({@code C1 CompilerThre...}, {@code C2
     * CompilerThre...}, found by name in {@code /proc/self/task}) to nice {@value #LOWEST_NICE}, for
     * good (an unprivileged thread cannot raise it back). Where a process spins on every core (a
     * hot worker, a hot caller), a compile at normal weight preempts a spinner for whole
     * scheduler slices, milliseconds each, which are the slowest calls of a run; at nice 19 a
     * compile takes only what the spinners leave. Compiler threads the JVM starts later are
     * started by a compiler thread and inherit its nice value.
     *
     * @return compiler threads set (0 where there is no {@code /proc} or no native access)
     */
    public static int lowerCompilerThreads() {
        if (SET_PRIORITY == null) {
            return 0;
        }
        int set = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                String comm;
                try {
                    comm = Files.readString(task.resolve("comm"));
                } catch (IOException e) {
                    continue; // the thread ended meanwhile
                }
                if ((comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre"))
                        && setNice(Integer.parseInt(task.getFileName().toString()), LOWEST_NICE)) {
                    set++;
                }
            }
        } catch (IOException | RuntimeException e) {
            return set;
        }
        return set;
    }

    /**
     * Sets the calling thread (only: nice values are per thread on Linux) to nice
     * {@value #LOWEST_NICE}, for background work that may run while a process spins on every core
     * but must not wait for idle time alone: at nice 19 it still gets a share (weight 15 against a
     * nice-0 thread's 1024), so a lock it holds inside a native library, or a safepoint waiting for
     * it, is not held indefinitely — but a safepoint that meets it preempted in Java code on a
     * loaded machine waits up to a few hundred ms (measured: docs/journal/2026-12-liveness-under-load.md),
     * so only short Java stretches between native calls belong on such a thread.
     *
     * @return whether it was set
     */
    public static boolean lowerThisThread() {
        return SET_PRIORITY != null && setNice(0, LOWEST_NICE);
    }

    private static boolean setNice(int tid, int nice) {
        try {
            return (int) SET_PRIORITY.invokeExact(PRIO_PROCESS, tid, nice) == 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
