package org.rfaas.transport;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The calling thread's Linux scheduling policy (through FFM, {@code sched_setscheduler(0, ...)},
 * which on Linux means this thread only): {@code SCHED_IDLE} runs a thread only on CPU time no
 * other thread wants. For background work (a manager's or a spare's rehearsals) that must not take
 * time from leases or spare boots, on threads of its own: an unprivileged thread cannot return
 * from {@code SCHED_IDLE} (that needs {@code CAP_SYS_NICE}).
 */
public final class ThreadPolicy {
    /** {@code SCHED_IDLE} in {@code <sched.h>}. */
    private static final int SCHED_IDLE = 5;
    private static final MethodHandle SET_SCHEDULER = link();

    private ThreadPolicy() {
    }

    private static MethodHandle link() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("sched_setscheduler").map(f -> linker.downcallHandle(f,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null; // no native access: the work runs at normal priority
        }
    }

    /** Moves the calling thread to {@code SCHED_IDLE}, for good; false where that is not possible (it runs on as it was). */
    public static boolean idle() {
        if (SET_SCHEDULER == null) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment param = arena.allocate(ValueLayout.JAVA_INT); // struct sched_param { int priority = 0; }
            return (int) SET_SCHEDULER.invokeExact(0, SCHED_IDLE, param) == 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
