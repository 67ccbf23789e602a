package org.rfaas.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.function.FaasFunction;

class FunctionTableTest {
    @TempDir
    Path dir;

    @Test
    void jarFunctionsLoadInTheirOwnClassLoaderThatCannotSeeTheExecutor() throws Throwable {
        Path jar = jarOf(dir.resolve("f.jar"), TestFunctions.Upper.class, TestFunctions.Snoop.class);
        FunctionTable table = FunctionTable.loadJar(jar);
        assertEquals(List.of("upper", "snoop"), table.names());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom("abc", StandardCharsets.US_ASCII).asSlice(0, 3);
            MemorySegment out = arena.allocate(16);
            assertEquals(3, table.get(0).invoke(in, out));
            assertEquals("ABC", new String(out.asSlice(0, 3).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
            int n = (int) table.get(1).invoke(in, out);
            assertEquals("hidden", new String(out.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
            // upper also runs in place (its output over its input); snoop does not say so
            assertTrue(table.get(0).runsInPlace());
            assertEquals(false, table.get(1).runsInPlace());
            MemorySegment data = arena.allocate(16);
            data.setString(0, "xyz", StandardCharsets.US_ASCII);
            assertEquals(3, table.get(0).invokeInPlace(data, 3));
            assertEquals("XYZ", new String(data.asSlice(0, 3).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
            assertThrows(UnsupportedOperationException.class, () -> table.get(1).invokeInPlace(data, 3));
        }
        assertEquals(null, table.get(2));
    }

    @Test
    void aJarWithoutAServiceListIsRefusedWithAHint() throws Exception {
        Path jar = dir.resolve("empty.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("README"));
            out.closeEntry();
        }
        FunctionLoadException e = assertThrows(FunctionLoadException.class, () -> FunctionTable.loadJar(jar));
        assertTrue(e.getMessage().contains("META-INF/services"), e.getMessage());
    }

    @Test
    void nativeFunctionsUseTheOriginalAbi() throws Throwable {
        Path source = dir.resolve("f.c");
        Files.writeString(source, """
                #include <stdint.h>
                uint32_t twice(void* in, uint32_t n, void* out) {
                    for (uint32_t i = 0; i < n; i++) { ((unsigned char*) out)[2*i] = ((unsigned char*) in)[i];
                                                       ((unsigned char*) out)[2*i+1] = ((unsigned char*) in)[i]; }
                    return 2 * n;
                }
                """);
        Path lib = dir.resolve("libf.so");
        Process gcc = new ProcessBuilder("gcc", "-shared", "-fPIC", "-o", lib.toString(), source.toString())
                .inheritIO().start();
        assertEquals(0, gcc.waitFor());
        FunctionTable table = FunctionTable.loadNative(lib, List.of("twice"));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom("ab", StandardCharsets.US_ASCII).asSlice(0, 2);
            MemorySegment out = arena.allocate(8);
            assertEquals(4, table.get(0).invoke(in, out));
            assertEquals("aabb", new String(out.asSlice(0, 4).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
        }
        FunctionLoadException e = assertThrows(FunctionLoadException.class,
                () -> FunctionTable.loadNative(lib, List.of("missing")));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }

    static Path jarOf(Path jar, Class<?>... classes) throws Exception {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            StringBuilder services = new StringBuilder();
            for (Class<?> c : classes) {
                String entry = c.getName().replace('.', '/') + ".class";
                out.putNextEntry(new JarEntry(entry));
                try (InputStream in = c.getClassLoader().getResourceAsStream(entry)) {
                    in.transferTo(out);
                }
                out.closeEntry();
                services.append(c.getName()).append('\n');
            }
            out.putNextEntry(new JarEntry("META-INF/services/" + FaasFunction.class.getName()));
            out.write(services.toString().getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return jar;
    }
}
