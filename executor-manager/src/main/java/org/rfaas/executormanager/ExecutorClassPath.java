package org.rfaas.executormanager;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The class path and class-data-sharing archive of executor JVMs.
 *
 * <p>An executor needs only the executor module's runtime dependencies, not the manager's (gRPC,
 * Hazelcast, Jetty, XChart, ...): a short class path is opened and validated faster, and the CDS
 * archive is keyed by it. The set is found from one class of each dependency, located in this
 * JVM; when any of them cannot be located (e.g. a single shaded JAR, or no code source), the
 * manager's whole class path is used instead.
 *
 * <p>The dynamic CDS archive lives in a per-user cache directory ({@code $XDG_CACHE_HOME/rfaas} or
 * {@code ~/.cache/rfaas}), named after a hash of the JDK and the class path, so it outlives one
 * manager run and a rebuilt or moved class path gets its own archive instead of a rejected one.
 */
final class ExecutorClassPath {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorClassPath.class);
    /** One class of every runtime dependency of the executor module (see executor/pom.xml). */
    private static final List<String> DEPENDENCY_CLASSES = List.of(
            "org.rfaas.executor.ExecutorMain",                      // rfaas-executor (and its logback config)
            "org.rfaas.protocol.MessageHeader",                     // rfaas-protocol
            "org.rfaas.function.FaasFunction",                      // rfaas-function-api
            "org.rfaas.transport.Transport",                        // rfaas-transport
            "org.rfaas.transport.shm.ShmTransportProvider",         // rfaas-transport-shm
            "org.rfaas.transport.tcp.TcpTransportProvider",         // rfaas-transport-tcp
            "org.rfaas.transport.fabric.FabricTransportProvider",   // rfaas-transport-fabric
            "org.slf4j.Logger",                                     // slf4j-api
            "ch.qos.logback.classic.Logger",                        // logback-classic
            "ch.qos.logback.core.Appender",                         // logback-core
            "com.fasterxml.jackson.databind.ObjectMapper",          // jackson (via rfaas-protocol)
            "com.fasterxml.jackson.core.JsonFactory",
            "com.fasterxml.jackson.annotation.JsonProperty");

    private final String classPath;
    private final boolean slim;
    /** Where caches go; {@code null}: the per-user cache directory. */
    private final Path cacheDirectory;

    private ExecutorClassPath(String classPath, boolean slim, Path cacheDirectory) {
        this.classPath = classPath;
        this.slim = slim;
        this.cacheDirectory = cacheDirectory;
    }

    /** A given class path whose caches go to {@code cacheDirectory} (tests). */
    static ExecutorClassPath of(String classPath, Path cacheDirectory) {
        return new ExecutorClassPath(classPath, true, cacheDirectory);
    }

    /** The executor class path computed from this JVM, or its whole class path as the fallback. */
    static ExecutorClassPath compute() {
        String full = System.getProperty("java.class.path");
        Set<String> entries = new LinkedHashSet<>();
        for (String name : DEPENDENCY_CLASSES) {
            Path location = locationOf(name);
            if (location == null) {
                LOG.info("executor class path: cannot locate {}; executors get the manager's class path", name);
                return new ExecutorClassPath(full, false, null);
            }
            entries.add(location.toString());
        }
        return new ExecutorClassPath(String.join(File.pathSeparator, entries), true, null);
    }

    private static Path locationOf(String className) {
        try {
            Class<?> c = Class.forName(className, false, ExecutorClassPath.class.getClassLoader());
            CodeSource source = c.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) {
                return null;
            }
            Path p = Path.of(source.getLocation().toURI());
            return Files.exists(p) ? p.toAbsolutePath().normalize() : null;
        } catch (ClassNotFoundException | LinkageError | URISyntaxException | IllegalArgumentException
                | SecurityException e) {
            LOG.debug("executor class path: {}: {}", className, e.toString());
            return null;
        }
    }

    /** The {@code -cp} value for executor JVMs. */
    String classPath() {
        return classPath;
    }

    /** Whether the dependency set was found (otherwise it is the manager's class path). */
    boolean slim() {
        return slim;
    }

    /**
     * The executors' AOT cache: named after a hash of the JDK, the class path with each JAR's size
     * and modification time (the JVM rejects a cache whose JARs changed), and the executor JVM
     * options; in the per-user cache directory, or {@code fallbackDir}.
     */
    ExecutorAotCache aotCache(List<String> jvmOptions, Path fallbackDir) {
        StringBuilder key = new StringBuilder(System.getProperty("java.vm.version")).append('\n')
                .append(System.getProperty("java.home")).append('\n').append(String.join(" ", jvmOptions));
        String unavailable = null;
        if (Runtime.version().feature() < ExecutorAotCache.MIN_FEATURE_RELEASE) {
            unavailable = "the JDK is older than " + ExecutorAotCache.MIN_FEATURE_RELEASE;
        } else if (!slim) {
            unavailable = "the executor class path could not be narrowed to its JARs";
        }
        for (String entry : classPath.split(File.pathSeparator)) {
            Path p = Path.of(entry);
            try {
                if (unavailable == null && !(Files.isRegularFile(p) && entry.endsWith(".jar"))) {
                    unavailable = "class path entry " + entry + " is not a JAR (the JVM archives classes from JARs only)";
                }
                key.append('\n').append(entry).append(' ').append(Files.size(p)).append(' ')
                        .append(Files.getLastModifiedTime(p).toMillis());
            } catch (IOException e) {
                key.append('\n').append(entry);
            }
        }
        return new ExecutorAotCache(cacheFile("executor-" + hash(key.toString()) + ".aot", fallbackDir), unavailable);
    }

    private static String hash(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /**
     * Where the executors' dynamic CDS archive goes: a per-user cache directory, or
     * {@code fallbackDir} when that cannot be created. The name hashes the JDK and the class path.
     */
    Path archive(Path fallbackDir) {
        String key = System.getProperty("java.vm.version") + '\n' + System.getProperty("java.home") + '\n' + classPath;
        return cacheFile("executor-" + hash(key) + ".jsa", fallbackDir);
    }

    /** {@code name} in the per-user cache directory, or in {@code fallbackDir} when that is unusable. */
    private Path cacheFile(String name, Path fallbackDir) {
        Path cache = cacheDirectory != null ? cacheDirectory : cacheDirectory();
        if (cache != null) {
            try {
                Files.createDirectories(cache);
                if (Files.isWritable(cache)) {
                    return cache.resolve(name);
                }
            } catch (IOException | SecurityException e) {
                LOG.info("cannot use {} for the executors' {} ({}); using {}", cache, name, e.toString(), fallbackDir);
            }
        }
        return fallbackDir.resolve(name);
    }

    private static Path cacheDirectory() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "rfaas");
        }
        String home = System.getProperty("user.home");
        return home == null || home.isBlank() || home.equals("?") ? null : Path.of(home, ".cache", "rfaas");
    }
}
