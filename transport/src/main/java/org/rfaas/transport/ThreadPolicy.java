package org.rfaas.transport;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Linux scheduling of this JVM's threads, through FFM.
 *
 * <ul>
 *   <li>{@link #idle()}: the calling thread to {@code SCHED_IDLE} ({@code sched_setscheduler(0,
 *       ...)}, which on Linux means this thread only), which runs a thread only on CPU time no
 *       other thread wants. For background work (a manager's or a spare's rehearsals) that must
 *       not take time from leases or spare boots, on threads of its own: an unprivileged thread
 *       cannot return from {@code SCHED_IDLE} (that needs {@code CAP_SYS_NICE}).
 *   <li>{@link #lowerCompilerThreads()}: the JIT's compiler threads to nice 19.
 *   <li>{@link #lowerThisThread()}: the calling thread to nice 19.
 * </ul>
 */
public final class ThreadPolicy {
    /** {@code SCHED_IDLE} in {@code <sched.h>}. */
    private static final int SCHED_IDLE = 5;
    /** {@code PRIO_PROCESS} in {@code <sys/resource.h>}: with a thread id, that thread's nice value. */
    private static final int PRIO_PROCESS = 0;
    /** The weakest nice value. */
    public static final int LOWEST_NICE = 19;
    private static final MethodHandle SET_SCHEDULER = link("sched_setscheduler",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
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
     * but must not wait for idle time alone ({@link #idle()}): at nice 19 it still gets a small
     * share, so a lock it holds inside a native library is not held indefinitely.
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

    /**
     * Moves the calling thread to {@code SCHED_IDLE}, for good; false where that is not possible (it
     * runs on as it was). Every thread it starts from then on inherits the policy, so the threads
     * the whole process shares and starts on first use ({@link LivenessTimer}'s) are started first:
     * a heartbeat thread at idle priority starves on a loaded machine until peers declare this
     * process lost.
     */
    public static boolean idle() {
        if (SET_SCHEDULER == null) {
            return false;
        }
        LivenessTimer.start();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment param = arena.allocate(ValueLayout.JAVA_INT); // struct sched_param { int priority = 0; }
            return (int) SET_SCHEDULER.invokeExact(0, SCHED_IDLE, param) == 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
