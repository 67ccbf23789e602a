package org.rfaas.demo.support;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.function.FaasFunction;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The shipped packages load and echo: the JAR through its service list, the .so through FFM. */
class FunctionPackagesTest {

    @Test
    void jarListsItsFunctionsAndEchoes(@TempDir Path dir) throws Exception {
        Path jar = FunctionPackages.javaJar(dir);
        // A loader that sees only the JAR and the function API, as an executor's does.
        ClassLoader apiOnly = new ClassLoader(ClassLoader.getPlatformClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                return name.startsWith("org.rfaas.function.")
                        ? FaasFunction.class.getClassLoader().loadClass(name) : super.loadClass(name, resolve);
            }
        };
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, apiOnly)) {
            List<String> names = new ArrayList<>();
            FaasFunction echo = null;
            for (FaasFunction f : ServiceLoader.load(FaasFunction.class, loader)) {
                names.add(f.name());
                assertEquals(loader, f.getClass().getClassLoader(), "loaded from the JAR, not the class path");
                if (f.name().equals("echo")) {
                    echo = f;
                }
            }
            assertTrue(names.containsAll(List.of("echo", "noop")), names.toString());
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment in = arena.allocateFrom("hello");
                MemorySegment out = arena.allocate(64);
                assertEquals(6, echo.invoke(in, out));
                assertEquals("hello", out.getString(0));
            }
        }
    }

    @Test
    void nativeLibraryEchoesThroughTheOriginalAbi(@TempDir Path dir) throws Throwable {
        List<String> why = new ArrayList<>();
        Optional<Path> so = FunctionPackages.nativeLibrary(dir, why);
        assumeTrue(so.isPresent(), "no native library: " + why);
        try (Arena arena = Arena.ofConfined()) {
            MethodHandle echo = Linker.nativeLinker().downcallHandle(
                    SymbolLookup.libraryLookup(so.get(), arena).findOrThrow("echo"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            MemorySegment in = arena.allocateFrom("native");
            MemorySegment out = arena.allocate(64);
            assertEquals(7, (int) echo.invokeExact(in, 7, out));
            assertEquals("native", out.getString(0));
        }
    }
}
