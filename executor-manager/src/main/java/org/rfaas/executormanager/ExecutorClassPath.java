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

    private ExecutorClassPath(String classPath, boolean slim) {
        this.classPath = classPath;
        this.slim = slim;
    }

    /** The executor class path computed from this JVM, or its whole class path as the fallback. */
    static ExecutorClassPath compute() {
        String full = System.getProperty("java.class.path");
        Set<String> entries = new LinkedHashSet<>();
        for (String name : DEPENDENCY_CLASSES) {
            Path location = locationOf(name);
            if (location == null) {
                LOG.info("executor class path: cannot locate {}; executors get the manager's class path", name);
                return new ExecutorClassPath(full, false);
            }
            entries.add(location.toString());
        }
        return new ExecutorClassPath(String.join(File.pathSeparator, entries), true);
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
     * Where the executors' dynamic CDS archive goes: a per-user cache directory, or
     * {@code fallbackDir} when that cannot be created. The name hashes the JDK and the class path.
     */
    Path archive(Path fallbackDir) {
        String key = System.getProperty("java.vm.version") + '\n' + System.getProperty("java.home") + '\n' + classPath;
        String hash;
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            hash = HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
        String name = "executor-" + hash + ".jsa";
        Path cache = cacheDirectory();
        if (cache != null) {
            try {
                Files.createDirectories(cache);
                if (Files.isWritable(cache)) {
                    return cache.resolve(name);
                }
            } catch (IOException | SecurityException e) {
                LOG.info("cannot use {} for the executors' CDS archive ({}); using {}", cache, e.toString(),
                        fallbackDir);
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
