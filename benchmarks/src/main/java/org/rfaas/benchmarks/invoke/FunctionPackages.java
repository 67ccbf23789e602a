package org.rfaas.benchmarks.invoke;

import org.rfaas.function.FaasFunction;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/**
 * Builds the function packages of the benchmarks and the demo at run time: a JAR of
 * {@link BenchFunctions} and a native shared library compiled with gcc from
 * {@code bench_functions.c}. Files go into a directory the caller owns and deletes.
 */
public final class FunctionPackages {
    private FunctionPackages() {
    }

    /** The names of the functions in both packages. */
    public static final List<String> NATIVE_FUNCTIONS = List.of("echo", "noop");

    /** Writes a JAR of the benchmark functions, with its service list, into {@code dir}. */
    public static Path javaJar(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path jar = dir.resolve("rfaas-bench-functions.jar");
        List<Class<?>> classes = List.of(BenchFunctions.class, BenchFunctions.Echo.class, BenchFunctions.Noop.class,
                BenchFunctions.Sleep.class);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (Class<?> c : classes) {
                String entry = c.getName().replace('.', '/') + ".class";
                try (InputStream in = c.getClassLoader().getResourceAsStream(entry)) {
                    if (in == null) {
                        throw new IOException("class file " + entry + " is not readable from the class path");
                    }
                    out.putNextEntry(new JarEntry(entry));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
            out.putNextEntry(new JarEntry("META-INF/services/" + FaasFunction.class.getName()));
            StringBuilder services = new StringBuilder();
            for (Class<?> c : classes.subList(1, classes.size())) {
                services.append(c.getName()).append('\n');
            }
            out.write(services.toString().getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return jar;
    }

    /**
     * Compiles the native functions into {@code dir} with gcc.
     *
     * @return the shared library, or empty when gcc is missing or fails ({@code why} gets the reason)
     */
    public static Optional<Path> nativeLibrary(Path dir, List<String> why) throws IOException {
        Files.createDirectories(dir);
        Path src = dir.resolve("bench_functions.c");
        try (InputStream in = FunctionPackages.class.getResourceAsStream("bench_functions.c");
             OutputStream out = Files.newOutputStream(src)) {
            if (in == null) {
                throw new IOException("bench_functions.c is missing from the benchmarks JAR");
            }
            in.transferTo(out);
        }
        Path so = dir.resolve("librfaas_bench_functions.so");
        List<String> cmd = new ArrayList<>(List.of("gcc", "-O2", "-shared", "-fPIC", "-o", so.toString(), src.toString()));
        Process gcc;
        try {
            gcc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            why.add("gcc not found (" + e.getMessage() + "); install gcc to ship native functions");
            return Optional.empty();
        }
        String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!gcc.waitFor(60, TimeUnit.SECONDS)) {
                gcc.destroyForcibly();
                why.add("gcc did not finish within 60 s");
                return Optional.empty();
            }
        } catch (InterruptedException e) {
            gcc.destroyForcibly();
            Thread.currentThread().interrupt();
            why.add("interrupted while compiling");
            return Optional.empty();
        }
        if (gcc.exitValue() != 0) {
            why.add("gcc failed: " + output.strip());
            return Optional.empty();
        }
        return Optional.of(so);
    }
}
