package org.rfaas.executor;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.rfaas.function.FaasFunction;
import org.rfaas.protocol.PackageDigest;

/**
 * A JAR package a spare loads while it waits, so that a lease of the same package does not: the
 * node's most recently used package, from the manager's cache. Its classes are loaded and the
 * service providers linked (verified), but nothing is initialised or instantiated: no user code
 * runs before a lease, and a lease of another package never sees this one.
 *
 * <p>Trust: the spare hashes the bytes it reads and keeps them only if they hash to the digest
 * the manager named (a cached file damaged or tampered with at rest is not preloaded); it loads
 * from a private copy of those bytes (in its own scratch directory, where nobody else writes); and
 * a lease reuses the classes only when its assigned package has exactly those bytes — never by name
 * or path. The assignment's digest says so: the manager verified the assigned file against it
 * before assigning, so equal digests are equal bytes, and the file need not be read again (0.5 ms of
 * the lease's one core, beside its workers' connections). A lease whose client announced no
 * digest has its file compared byte for byte.
 */
final class PreloadedPackage {
    /** Where a spare finds the package to preload: the file and the digest it must hash to. */
    record Source(PackageDigest digest, Path file) {
        /** Parses {@code SHA256HEX:PATH}, as the manager writes it on a spare's command line. */
        static Source parse(String arg) {
            int colon = arg.indexOf(':');
            if (colon < 0 || colon + 1 == arg.length()) {
                throw new IllegalArgumentException("--preload-package wants SHA256:PATH, got '" + arg + "'");
            }
            return new Source(PackageDigest.ofHex(arg.substring(0, colon)), Path.of(arg.substring(colon + 1)));
        }
    }

    /** Larger packages are not preloaded (the copy lives in the spare's bounded scratch space). */
    static final long MAX_BYTES = 8L << 20;

    /** {@code ()FaasFunction}: a provider's constructor as the lease calls it. */
    private static final MethodType PROVIDER = MethodType.methodType(FaasFunction.class);

    private final byte[] bytes;
    /** What {@link #bytes} hash to (checked at {@link #load}). */
    private final PackageDigest digest;
    private final URLClassLoader loader;
    private final Path copy;
    /**
     * The providers' public no-argument constructors, in the service list's order; {@code null}
     * when one cannot be looked up (the lease then goes through {@link ServiceLoader}, which
     * reports why).
     */
    private final List<Provider> providers;

    private record Provider(String className, MethodHandle constructor) {
    }

    private PreloadedPackage(byte[] bytes, PackageDigest digest, URLClassLoader loader, Path copy,
            List<Provider> providers) {
        this.bytes = bytes;
        this.digest = digest;
        this.loader = loader;
        this.copy = copy;
        this.providers = providers;
    }

    /**
     * Reads {@code file}, checks it hashes to {@code digest}, and loads its classes into a class
     * loader of their own without initialising any.
     *
     * @throws FunctionLoadException when the file is too large, does not hash to {@code digest},
     *     or is not a package of Java functions
     * @throws IOException when it cannot be read or copied
     */
    static PreloadedPackage load(Path file, PackageDigest digest) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new FunctionLoadException(file + " is larger than " + MAX_BYTES + " bytes: not preloaded");
        }
        byte[] bytes = Files.readAllBytes(file);
        MessageDigest d = PackageDigest.sha256();
        d.update(bytes);
        PackageDigest actual = PackageDigest.of(d);
        if (!actual.equals(digest)) {
            throw new FunctionLoadException(file + " hashes to " + actual + ", not to " + digest + ": not preloaded");
        }
        Path copy = Files.createTempFile("rfaas-preload-", ".jar");
        URLClassLoader loader = null;
        boolean ok = false;
        try {
            Files.write(copy, bytes);
            copy.toFile().deleteOnExit();
            URL url = copy.toUri().toURL();
            loader = new URLClassLoader("rfaas-functions", new URL[] {url}, new FunctionTable.FunctionApiOnlyLoader());
            List<Provider> providers = loadWithoutInitialising(loader, copy);
            ok = true;
            PreloadedPackage p = new PreloadedPackage(bytes, digest, loader, copy, providers);
            p.rehearse();
            return p;
        } catch (ServiceConfigurationError e) {
            throw new FunctionLoadException("cannot preload the functions of " + file + ": " + e.getMessage(), e);
        } finally {
            if (!ok) {
                if (loader != null) {
                    loader.close();
                }
                Files.deleteIfExists(copy);
            }
        }
    }

    /**
     * Loads every class of the JAR (a class that cannot load is left for the lease to meet), then
     * the service providers: {@link ServiceLoader.Provider#type()} loads and links a provider's
     * class and finds its public no-argument constructor without calling it; a method handle of
     * that constructor is made now (it initialises the class only when invoked).
     *
     * @return the providers, or {@code null} when a constructor cannot be looked up
     */
    private static List<Provider> loadWithoutInitialising(ClassLoader loader, Path jar) throws IOException {
        try (JarFile j = new JarFile(jar.toFile())) {
            for (JarEntry e : (Iterable<JarEntry>) j.stream()::iterator) {
                String name = e.getName();
                if (!name.endsWith(".class") || name.startsWith("META-INF/") || name.endsWith("module-info.class")) {
                    continue;
                }
                try {
                    Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false, loader);
                } catch (ClassNotFoundException | LinkageError ignored) {
                    // The lease loads it as it would have, and meets the same error there.
                }
            }
        }
        List<Provider> providers = new ArrayList<>();
        for (ServiceLoader.Provider<FaasFunction> p
                : (Iterable<ServiceLoader.Provider<FaasFunction>>) ServiceLoader.load(FaasFunction.class, loader)
                        .stream()::iterator) {
            Class<? extends FaasFunction> type = p.type();
            try {
                providers.add(new Provider(type.getName(), MethodHandles.publicLookup()
                        .findConstructor(type, MethodType.methodType(void.class)).asType(PROVIDER)));
            } catch (NoSuchMethodException | IllegalAccessException e) {
                return null;
            }
        }
        return providers;
    }

    /**
     * What the lease then does once, on the executor's own function and this package's bytes: a
     * provider constructor's call through a method handle and the comparison of the bytes.
     */
    private void rehearse() throws IOException {
        try {
            MethodHandle echo = MethodHandles.publicLookup()
                    .findConstructor(TrainingEcho.class, MethodType.methodType(void.class)).asType(PROVIDER);
            FunctionTable.of(instances(List.of(new Provider(TrainingEcho.class.getName(), echo))), copy);
        } catch (NoSuchMethodException | IllegalAccessException | RuntimeException e) {
            // Only a warm-up.
        }
        sameBytes(copy);
    }

    /**
     * The function table of a lease whose package is {@code assigned}, from the preloaded classes
     * when it holds exactly the preloaded bytes; {@code null} otherwise (the caller loads it
     * afresh). The providers are instantiated here (user code runs from now on).
     *
     * @param assignedDigest the digest the manager verified {@code assigned} against, or
     *     {@link PackageDigest#NONE} (then the file is compared with the preloaded bytes)
     * @throws IOException when {@code assigned} has to be read and cannot be
     */
    FunctionTable tableFor(PackageDigest assignedDigest, Path assigned) throws IOException {
        if (assignedDigest.isNone() ? !sameBytes(assigned) : !assignedDigest.equals(digest)) {
            return null;
        }
        return providers == null ? FunctionTable.ofLoader(loader, assigned) : FunctionTable.of(instances(providers),
                assigned);
    }

    private boolean sameBytes(Path file) throws IOException {
        return Files.size(file) == bytes.length && Arrays.equals(Files.readAllBytes(file), bytes);
    }

    /** Makes each provider when iterated, failing as a {@link ServiceLoader} would. */
    private static Iterable<FaasFunction> instances(List<Provider> list) {
        return () -> new Iterator<>() {
            private final Iterator<Provider> providers = list.iterator();

            @Override
            public boolean hasNext() {
                return providers.hasNext();
            }

            @Override
            public FaasFunction next() {
                Provider p = providers.next();
                try {
                    return (FaasFunction) p.constructor().invokeExact();
                } catch (Throwable t) {
                    throw new ServiceConfigurationError(FaasFunction.class.getName() + ": Provider " + p.className()
                            + " could not be instantiated", t);
                }
            }
        };
    }

    /** The class loader holding the preloaded classes (tests). */
    ClassLoader loader() {
        return loader;
    }

    /** Drops the preloaded classes (a lease of another package) and clears the bytes kept. */
    void discard() {
        Arrays.fill(bytes, (byte) 0);
        try {
            loader.close();
            Files.deleteIfExists(copy);
        } catch (IOException e) {
            // Scratch space of a process about to serve another package; nothing to do.
        }
    }
}
