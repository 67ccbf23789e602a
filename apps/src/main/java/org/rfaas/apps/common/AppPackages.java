package org.rfaas.apps.common;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.rfaas.apps.blackscholes.BlackScholesFunction;
import org.rfaas.apps.blackscholes.BlackScholesKernel;
import org.rfaas.apps.jacobi.JacobiFunction;
import org.rfaas.apps.jacobi.JacobiKernel;
import org.rfaas.apps.matmul.MatmulFunction;
import org.rfaas.apps.matmul.MatmulKernel;

/**
 * The function packages the applications ship to their executors, built from this module's
 * class path: a JAR with the three Java functions and their kernels (nothing else: the executor's
 * class loader sees only the JDK and {@code org.rfaas.function}), and the native library compiled
 * from {@code apps_kernels.c}.
 */
public final class AppPackages {
    private AppPackages() {
    }

    /** Function names, the same in the JAR and in the native library. */
    public static final List<String> FUNCTIONS = List.of("blackscholes", "matmul", "jacobi");

    private static final List<Class<?>> FUNCTION_CLASSES = List.of(BlackScholesFunction.class, MatmulFunction.class,
            JacobiFunction.class);
    private static final List<Class<?>> KERNEL_CLASSES = List.of(BlackScholesKernel.class, MatmulKernel.class,
            JacobiKernel.class);

    /** Writes the Java functions' JAR to {@code jar}. */
    public static Path writeJar(Path jar) {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            StringBuilder services = new StringBuilder();
            for (Class<?> c : concat()) {
                String entry = c.getName().replace('.', '/') + ".class";
                out.putNextEntry(new JarEntry(entry));
                try (InputStream in = c.getClassLoader().getResourceAsStream(entry)) {
                    if (in == null) {
                        throw new IOException(entry + " is not on the class path");
                    }
                    in.transferTo(out);
                }
                out.closeEntry();
                if (FUNCTION_CLASSES.contains(c)) {
                    services.append(c.getName()).append('\n');
                }
            }
            out.putNextEntry(new JarEntry("META-INF/services/org.rfaas.function.FaasFunction"));
            out.write(services.toString().getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + jar + ": " + e.getMessage(), e);
        }
        return jar;
    }

    private static List<Class<?>> concat() {
        return java.util.stream.Stream.concat(FUNCTION_CLASSES.stream(), KERNEL_CLASSES.stream()).toList();
    }

    /**
     * Compiles {@code apps_kernels.c} into {@code directory/libapps_kernels.so} with
     * {@code gcc -O2 -ffp-contract=off} (no fused multiply-add: Java never fuses, so the native
     * and Java kernels round alike).
     *
     * @throws IllegalStateException when gcc is missing or fails (with its output)
     */
    public static Path buildNativeLibrary(Path directory) {
        Path source = directory.resolve("apps_kernels.c");
        Path library = directory.resolve("libapps_kernels.so");
        try (InputStream in = AppPackages.class.getResourceAsStream("/native/apps_kernels.c")) {
            if (in == null) {
                throw new IOException("native/apps_kernels.c is not on the class path");
            }
            Files.copy(in, source, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Process p = new ProcessBuilder("gcc", "-O2", "-ffp-contract=off", "-shared", "-fPIC", "-o",
                    library.toString(), source.toString(), "-lm").redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("gcc failed to build " + library + ": " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot build " + library + " (is gcc installed?): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while building " + library, e);
        }
        return library;
    }
}
