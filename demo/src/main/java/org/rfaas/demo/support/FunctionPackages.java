package org.rfaas.demo.support;

import org.rfaas.examples.ExamplePackages;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The function packages the benchmarks and the demo ship: the project's example functions
 * ({@link ExamplePackages}), as a JAR and as a native library compiled with gcc on the fly.
 */
public final class FunctionPackages {
    private FunctionPackages() {
    }

    /** The functions to resolve in the native library. */
    public static final List<String> NATIVE_FUNCTIONS = ExamplePackages.NATIVE_FUNCTIONS;

    /** Writes the JAR of the Java example functions into {@code dir}. */
    public static Path javaJar(Path dir) throws IOException {
        Files.createDirectories(dir);
        return ExamplePackages.writeJar(dir.resolve("rfaas-examples.jar"));
    }

    /** Deletes {@code dir} and everything in it; a failure leaves a harmless temporary file. */
    public static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Nothing to do: the directory is in the temporary area.
        }
    }

    /**
     * Compiles the native example functions into {@code dir} with gcc.
     *
     * @return the shared library, or empty when gcc is missing or fails ({@code why} gets the reason)
     */
    public static Optional<Path> nativeLibrary(Path dir, List<String> why) throws IOException {
        Files.createDirectories(dir);
        try {
            return Optional.of(ExamplePackages.buildNativeLibrary(dir));
        } catch (IllegalStateException e) {
            why.add(e.getMessage());
            return Optional.empty();
        }
    }
}
