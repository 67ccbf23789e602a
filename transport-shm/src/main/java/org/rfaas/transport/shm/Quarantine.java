package org.rfaas.transport.shm;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Takes a closed connection's shared pages away from this process without unmapping the address
 * range: {@code mmap(MAP_FIXED)} puts private, zero-filled, never-reserved pages in their place,
 * atomically (the kernel swaps the range under one lock, so another thread's access sees either
 * the old page or the new one, never a hole).
 *
 * <p>{@link ShmConnection}'s data path addresses the mapping by raw address (see its
 * "Memory safety" section), so the range must stay mapped for as long as a thread may still be
 * inside {@code write} or {@code poll}; it is unmapped only when the connection object is
 * unreachable. Quarantining at {@code close} releases the shared file's memory right away all the
 * same: what is left until then is address space, and the zero pages a racing thread may touch.
 */
final class Quarantine {
    private Quarantine() {
    }

    private static final int PROT_READ_WRITE = 0x3;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_FIXED = 0x10;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_NORESERVE = 0x4000;

    /** {@code void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)}. */
    private static final MethodHandle MMAP;

    static {
        MMAP = link();
    }

    @SuppressWarnings("restricted") // the reason this module needs --enable-native-access
    private static MethodHandle link() {
        MethodHandle h;
        try {
            Linker linker = Linker.nativeLinker();
            h = linker.defaultLookup().find("mmap").map(a -> linker.downcallHandle(a,
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_LONG))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            h = null;
        }
        return h;
    }

    /**
     * Replaces the pages of {@code [address, address + size)} by private zero pages.
     *
     * @return null when done, else why not (the range then keeps the shared pages until it is
     *     unmapped)
     */
    static String replace(long address, long size) {
        if (MMAP == null) {
            return "mmap(2) is not available through FFM";
        }
        try {
            long got = (long) MMAP.invokeExact(address, size, PROT_READ_WRITE,
                    MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
            return got == address ? null : "mmap(MAP_FIXED) returned 0x" + Long.toHexString(got);
        } catch (Throwable t) {
            return "mmap(MAP_FIXED) failed: " + t;
        }
    }
}
