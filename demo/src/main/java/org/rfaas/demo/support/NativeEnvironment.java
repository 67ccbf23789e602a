package org.rfaas.demo.support;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Sets variables in this process's C environment ({@code setenv} through FFM), which native
 * libraries loaded afterwards read in their constructors. {@link System#getenv} does not see them.
 */
public final class NativeEnvironment {
    /** Made on first use: a JVM's first downcall handle costs ~0.1 s of class spinning. */
    private static final class Setenv {
        static final MethodHandle HANDLE = Linker.nativeLinker().defaultLookup().find("setenv")
                .map(s -> Linker.nativeLinker().downcallHandle(s, FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT)))
                .orElse(null);
    }

    private NativeEnvironment() {
    }

    /**
     * Sets {@code name=value} unless {@code name} is already set.
     *
     * @return {@code true} when the variable is set afterwards (by us or before)
     */
    public static boolean setIfAbsent(String name, String value) {
        if (System.getenv(name) != null) {
            return true; // inherited (the launcher exports it): no native call needed
        }
        if (Setenv.HANDLE == null) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            return (int) Setenv.HANDLE.invokeExact(arena.allocateFrom(name), arena.allocateFrom(value), 0) == 0;
        } catch (Throwable t) {
            throw new IllegalStateException("setenv(" + name + ") failed: " + t, t);
        }
    }

    /**
     * Keeps the JVM's own SIGSEGV handler when libfabric gets loaded. Debian's libfabric links
     * libpsm_infinipath, whose libinfinipath constructor installs a "backtrace" SIGSEGV handler
     * unless {@code IPATH_NO_BACKTRACE} is set. The JVM raises SIGSEGV on purpose (implicit null
     * checks in compiled code), so with that handler installed the first NullPointerException in
     * JIT-compiled code anywhere in the process kills it ("java:PID terminated with signal 11"),
     * after the handler wrote a {@code java.80s-PID,HOST.btr} file into the working directory.
     * Call before the first libfabric use; child JVMs need the variable in their environment too
     * ({@link ChildJvm} puts it there; the {@code rfaas} launcher and the test configuration export it).
     */
    public static void protectJvmSignalsFromLibfabric() {
        setIfAbsent(LIBFABRIC_SIGNAL_GUARD, "1");
    }

    /** The environment variable that stops libinfinipath from installing its SIGSEGV handler. */
    public static final String LIBFABRIC_SIGNAL_GUARD = "IPATH_NO_BACKTRACE";
}
