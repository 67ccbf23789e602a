package org.rfaas.transport.shm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.rfaas.transport.TransportException;

/**
 * Linux futexes on 32-bit words inside a shared mapping, through the FFM API ({@code syscall(2)}).
 *
 * <p>The operations are the non-private ones ({@code FUTEX_WAIT}, {@code FUTEX_WAKE} without
 * {@code FUTEX_PRIVATE_FLAG}) because the waiter and the waker live in different processes: the
 * kernel keys such a futex by the mapped file's page, not by the virtual address.
 *
 * <p>Addresses are passed as raw {@code long}s rather than {@link MemorySegment}s so that a
 * sleeping waiter does not pin the mapping's arena: a connection can be closed (and unmapped)
 * while another thread sleeps in the kernel, which then returns at its timeout at the latest.
 */
final class Futex {
    private Futex() {
    }

    private static final long SYS_FUTEX = 202; // x86-64
    private static final long FUTEX_WAIT = 0;
    private static final long FUTEX_WAKE = 1;

    /** {@code long syscall(long number, ...)}, all variadic arguments passed as longs. */
    private static final FunctionDescriptor SYSCALL6 = FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);

    /**
     * {@code syscall} for both operations. One handle, not a critical one besides for the wake-up
     * (which never blocks): each linked handle costs ~30 ms of a fresh JVM's start, interpreted,
     * and the thread-state transition a critical one skips is tens of ns beside the syscall's µs.
     * A waiter sleeps in the kernel, so the handle must let the JVM reach safepoints meanwhile.
     */
    private static final MethodHandle SYSCALL;
    private static final String UNAVAILABLE;

    static {
        MethodHandle syscall = null;
        String why = null;
        if (!"amd64".equals(System.getProperty("os.arch")) && !"x86_64".equals(System.getProperty("os.arch"))
                || !System.getProperty("os.name", "").startsWith("Linux")) {
            why = "the shm transport needs Linux on x86-64 (futex syscall number 202); this is "
                    + System.getProperty("os.name") + "/" + System.getProperty("os.arch");
        } else {
            try {
                syscall = link();
                why = tryWake(syscall);
            } catch (RuntimeException | LinkageError e) {
                why = "cannot link syscall(2) through FFM (" + e + "); run the JVM with "
                        + "--enable-native-access=ALL-UNNAMED";
            }
        }
        SYSCALL = syscall;
        UNAVAILABLE = why;
    }

    @SuppressWarnings("restricted") // the reason this module needs --enable-native-access
    private static MethodHandle link() {
        Linker linker = Linker.nativeLinker();
        MemorySegment syscall = linker.defaultLookup().find("syscall")
                .orElseThrow(() -> new IllegalStateException("libc has no 'syscall' symbol"));
        return linker.downcallHandle(syscall, SYSCALL6, Linker.Option.firstVariadicArg(1));
    }

    /**
     * Links the binding: does nothing but make sure this class is initialised, which links it. A
     * thread that uses the class meanwhile waits until that is done (class initialisation).
     */
    static void initialise() {
        // the static initialiser does the work
    }

    /** One wake-up on a word of our own, once: {@code null} when the kernel has futexes, else why not. */
    private static String tryWake(MethodHandle syscall) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment word = arena.allocate(ValueLayout.JAVA_INT);
            long r = (long) syscall.invokeExact(SYS_FUTEX, word.address(), FUTEX_WAKE, 1L, 0L, 0L, 0L);
            return r == 0 ? null : "futex(FUTEX_WAKE) returned " + r + "; the kernel does not support futexes";
        } catch (Throwable t) {
            return "futex(FUTEX_WAKE) failed: " + t;
        }
    }

    /** Throws a {@link TransportException} saying why futexes cannot be used here, if they cannot. */
    static void checkAvailable() {
        if (UNAVAILABLE != null) {
            throw new TransportException(UNAVAILABLE);
        }
    }

    /**
     * Sleeps while the word at {@code address} holds {@code expected}, for at most the time held
     * in the {@code struct timespec} at {@code timespecAddress}. Returns early on a wake-up, a
     * signal, or when the word differs (EAGAIN); callers re-check their condition in any case.
     */
    static long await(long address, int expected, long timespecAddress) {
        try {
            return (long) SYSCALL.invokeExact(SYS_FUTEX, address, FUTEX_WAIT, (long) expected, timespecAddress, 0L, 0L);
        } catch (Throwable t) {
            throw new TransportException("futex(FUTEX_WAIT) failed", t);
        }
    }

    /** Wakes one waiter sleeping on the word at {@code address}; returns how many were woken. */
    static long wake(long address) {
        try {
            return (long) SYSCALL.invokeExact(SYS_FUTEX, address, FUTEX_WAKE, 1L, 0L, 0L, 0L);
        } catch (Throwable t) {
            throw new TransportException("futex(FUTEX_WAKE) failed", t);
        }
    }
}
