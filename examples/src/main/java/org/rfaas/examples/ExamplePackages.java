package org.rfaas.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.rfaas.function.FaasFunction;

/**
 * Builds the example function packages from this module's class path, so tools and tests can ship
 * them without a prior {@code mvn package}: a JAR of the Java functions, and a native library
 * compiled from {@code functions.c} with gcc.
 */
public final class ExamplePackages {
    private ExamplePackages() {
    }

    /** The Java example functions, in the order the JAR lists them. */
    public static final List<Class<? extends FaasFunction>> JAVA_FUNCTIONS = List.of(Echo.class, NoOp.class,
            Sleep.class, Fail.class, Fill.class, SumSquares.class);

    /** Symbols exported by the native example library. */
    public static final List<String> NATIVE_FUNCTIONS = List.of("echo", "noop", "sum_squares", "reverse");

    /** Writes a JAR with the Java example functions and their service list to {@code jar}. */
    public static Path writeJar(Path jar) {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            StringBuilder services = new StringBuilder();
            for (Class<?> c : JAVA_FUNCTIONS) {
                String entry = c.getName().replace('.', '/') + ".class";
                out.putNextEntry(new JarEntry(entry));
                try (InputStream in = c.getClassLoader().getResourceAsStream(entry)) {
                    if (in == null) {
                        throw new IOException("class file " + entry + " not found on the class path");
                    }
                    in.transferTo(out);
                }
                out.closeEntry();
                services.append(c.getName()).append('\n');
            }
            out.putNextEntry(new JarEntry("META-INF/services/" + FaasFunction.class.getName()));
            out.write(services.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            out.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write example JAR " + jar + ": " + e.getMessage(), e);
        }
        return jar;
    }

    /** Writes {@code functions.c} (the native examples' source) into {@code directory}. */
    public static Path writeNativeSource(Path directory) {
        Path source = directory.resolve("functions.c");
        try (InputStream in = ExamplePackages.class.getResourceAsStream("/native/functions.c");
                OutputStream out = Files.newOutputStream(source)) {
            if (in == null) {
                throw new IOException("native/functions.c is not on the class path");
            }
            in.transferTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + source + ": " + e.getMessage(), e);
        }
        return source;
    }

    /**
     * Compiles the native examples with {@code gcc -O2 -shared -fPIC} into
     * {@code directory/libfunctions.so}.
     *
     * @throws IllegalStateException when gcc is missing or fails (with its output)
     */
    public static Path buildNativeLibrary(Path directory) {
        Path source = writeNativeSource(directory);
        Path library = directory.resolve("libfunctions.so");
        try {
            Process p = new ProcessBuilder("gcc", "-O2", "-shared", "-fPIC", "-o", library.toString(), source.toString())
                    .redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("gcc failed to build " + library + ": " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run gcc (install it to build native functions): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while building " + library, e);
        }
        return library;
    }
}
