package org.rfaas.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.rfaas.function.FunctionNames;
import org.rfaas.protocol.Limits;
import org.rfaas.protocol.PackageDigest;
import org.rfaas.protocol.PackageKind;

/**
 * Function code shipped to an executor at allocation: a JAR of
 * {@link org.rfaas.function.FaasFunction}s (the executor announces all of them), or a native
 * shared library plus the names of the functions to resolve in it.
 */
public final class FunctionPackage {
    private final PackageKind kind;
    private final byte[] bytes;
    private final List<String> functionNames;
    private final String description;
    /** Computed on first use, once per package object (hashing 50 MB takes tens of ms). */
    private volatile PackageDigest digest;

    private FunctionPackage(PackageKind kind, byte[] bytes, List<String> functionNames, String description) {
        if (bytes.length == 0 || bytes.length > Limits.MAX_PACKAGE_BYTES) {
            throw new IllegalArgumentException("package " + description + " has " + bytes.length
                    + " bytes; it must have 1.." + Limits.MAX_PACKAGE_BYTES);
        }
        functionNames.forEach(FunctionNames::require);
        this.kind = kind;
        this.bytes = bytes;
        this.functionNames = List.copyOf(functionNames);
        this.description = description;
    }

    /** A JAR whose functions are listed in {@code META-INF/services/org.rfaas.function.FaasFunction}. */
    public static FunctionPackage jar(Path jar) {
        return new FunctionPackage(PackageKind.JAR, read(jar), List.of(), jar.toString());
    }

    /** A shared library exporting {@code uint32_t name(void*, uint32_t, void*)} for each name. */
    public static FunctionPackage nativeLibrary(Path library, List<String> functionNames) {
        if (functionNames.isEmpty()) {
            throw new IllegalArgumentException("name at least one function to resolve in " + library);
        }
        return new FunctionPackage(PackageKind.NATIVE, read(library), functionNames, library.toString());
    }

    /** A JAR ({@code .jar}) or a native library (anything else, e.g. {@code .so}) by file name. */
    public static FunctionPackage of(Path file, List<String> nativeFunctionNames) {
        return file.getFileName().toString().endsWith(".jar") ? jar(file) : nativeLibrary(file, nativeFunctionNames);
    }

    public PackageKind kind() {
        return kind;
    }

    /** Size in bytes. */
    public int size() {
        return bytes.length;
    }

    /** The symbols to resolve (native packages); empty for JARs. */
    public List<String> functionNames() {
        return functionNames;
    }

    /**
     * The package's SHA-256, announced at allocation: a node whose package cache holds a verified
     * copy answers so, and the package is not shipped again.
     */
    public PackageDigest digest() {
        PackageDigest d = digest;
        if (d == null) {
            d = PackageDigest.of(bytes);
            digest = d;
        }
        return d;
    }

    byte[] bytes() {
        return bytes;
    }

    @Override
    public String toString() {
        return kind + " " + description + " (" + bytes.length + " bytes)";
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read function package " + file + ": " + e.getMessage(), e);
        }
    }
}
