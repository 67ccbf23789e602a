package org.rfaas.benchmarks.common;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Optional;

/**
 * Pins the calling thread to a CPU with Linux {@code sched_setaffinity} (through FFM), so a
 * ping-pong benchmark runs on the same two CPUs as its C reference. Pinning is best-effort: on a
 * platform without the call, or when the kernel refuses, the methods return {@code false} and the
 * benchmark runs unpinned.
 *
 * <p>Pinning changes only the calling thread ({@code pid 0} means "this thread" to the kernel); a
 * process started from a pinned thread inherits its mask, so unpin with {@link #restore} before
 * starting children.
 */
public final class Affinity {
    /** {@code cpu_set_t}: 1024 bits. */
    private static final long CPU_SET_BYTES = 128;
    private static final StructLayout ERRNO_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = ERRNO_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SET = find("sched_setaffinity");
    private static final MethodHandle GET = find("sched_getaffinity");

    private Affinity() {
    }

    private static MethodHandle find(String fn) {
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> sym = linker.defaultLookup().find(fn);
        return sym.map(s -> linker.downcallHandle(s,
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
                        Linker.Option.captureCallState("errno")))
                .orElse(null);
    }

    /** {@code true} when this platform offers {@code sched_setaffinity}. */
    public static boolean supported() {
        return SET != null && GET != null;
    }

    /** The number of CPUs the JVM may run on. */
    public static int availableCpus() {
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * Pins the calling thread to {@code cpu}.
     *
     * @return the previous mask (for {@link #restore}), or empty when pinning failed or is not
     *     supported
     */
    public static Optional<byte[]> pinCurrentThread(int cpu) {
        if (!supported() || cpu < 0 || cpu >= CPU_SET_BYTES * 8) {
            return Optional.empty();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment old = arena.allocate(CPU_SET_BYTES);
            MemorySegment state = arena.allocate(ERRNO_LAYOUT);
            if ((int) GET.invokeExact(state, 0, CPU_SET_BYTES, old) != 0) {
                return Optional.empty();
            }
            MemorySegment mask = arena.allocate(CPU_SET_BYTES);
            mask.set(ValueLayout.JAVA_BYTE, cpu / 8, (byte) (1 << (cpu % 8)));
            if ((int) SET.invokeExact(state, 0, CPU_SET_BYTES, mask) != 0) {
                return Optional.empty();
            }
            return Optional.of(old.toArray(ValueLayout.JAVA_BYTE));
        } catch (Throwable t) {
            throw new IllegalStateException("sched_setaffinity failed: " + t, t);
        }
    }

    /** Restores a mask returned by {@link #pinCurrentThread}. */
    public static void restore(byte[] mask) {
        if (!supported()) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(CPU_SET_BYTES);
            MemorySegment.copy(mask, 0, m, ValueLayout.JAVA_BYTE, 0, (int) Math.min(mask.length, CPU_SET_BYTES));
            MemorySegment state = arena.allocate(ERRNO_LAYOUT);
            int rc = (int) SET.invokeExact(state, 0, CPU_SET_BYTES, m);
            if (rc != 0) {
                throw new IllegalStateException("sched_setaffinity (restore) failed, errno " + (int) ERRNO.get(state, 0L));
            }
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("sched_setaffinity failed: " + t, t);
        }
    }
}
