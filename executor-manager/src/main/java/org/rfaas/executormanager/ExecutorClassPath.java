package org.rfaas.executormanager;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.rfaas.executor.ExecutorMain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The class path and class-data-sharing archive of executor JVMs.
 *
 * <p>An executor needs only the executor module's runtime dependencies, not the manager's (nor
 * the CLI's benchmark peers: gRPC, Hazelcast, Jetty, ...): a short class path is opened and
 * validated faster, and the CDS archive and AOT cache are keyed by it. The set is the executor
 * module's own Maven dependencies, which its build writes into the executor JAR
 * ({@value #FILES_RESOURCE}: the file names as {@code copy-dependencies} names them;
 * {@value #PATHS_RESOURCE}: the paths of the build). The class path is the executor's own
 * location plus those dependencies: found next to the executor JAR (the packaged CLI's
 * {@code lib/}), or else at the build's paths (the reactor: tests, {@code target/classes}). When
 * neither is complete, the manager's whole class path is used instead, with a log line.
 *
 * <p>The dynamic CDS archive lives in a per-user cache directory ({@code $XDG_CACHE_HOME/rfaas} or
 * {@code ~/.cache/rfaas}), named after a hash of the JDK and the class path, so it outlives one
 * manager run and a rebuilt or moved class path gets its own archive instead of a rejected one.
 */
final class ExecutorClassPath {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorClassPath.class);
    /** The executor's dependencies by file name, as the packaged CLI's {@code lib/} holds them. */
    static final String FILES_RESOURCE = "META-INF/rfaas/executor-classpath-files.txt";
    /** The executor's dependencies by their path in the build that made the executor module. */
    static final String PATHS_RESOURCE = "META-INF/rfaas/executor-classpath-paths.txt";

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

    /** The executor class path from the executor module's dependencies, or the manager's as the fallback. */
    static ExecutorClassPath compute() {
        Path self = locationOf(ExecutorMain.class);
        List<String> files = resource(FILES_RESOURCE);
        List<String> paths = resource(PATHS_RESOURCE);
        String resolved = self == null ? null : resolve(self, files, paths);
        if (resolved == null) {
            LOG.info("executor class path: the executor module's dependencies (at {}: {} / {}) are not all there; "
                    + "executors get the manager's class path", self, files == null ? "no list" : files.size() + " files",
                    paths == null ? "no list" : paths.size() + " paths");
            return new ExecutorClassPath(System.getProperty("java.class.path"), false, null);
        }
        return new ExecutorClassPath(resolved, true, null);
    }

    /**
     * The executor at {@code self} plus its dependencies: the files named {@code fileNames} next to
     * it when it is a JAR among them, else the build's {@code buildPaths}; {@code null} when
     * neither set is complete.
     */
    static String resolve(Path self, List<String> fileNames, List<String> buildPaths) {
        if (Files.isRegularFile(self) && fileNames != null) {
            List<String> entries = new ArrayList<>(List.of(self.toString()));
            for (String name : fileNames) {
                Path p = self.resolveSibling(Path.of(name).getFileName());
                if (!Files.isRegularFile(p)) {
                    entries = null;
                    break;
                }
                entries.add(p.toString());
            }
            if (entries != null) {
                return String.join(File.pathSeparator, entries);
            }
        }
        if (buildPaths != null) {
            List<String> entries = new ArrayList<>(List.of(self.toString()));
            for (String path : buildPaths) {
                if (!Files.exists(Path.of(path))) {
                    return null;
                }
                entries.add(path);
            }
            return String.join(File.pathSeparator, entries);
        }
        return null;
    }

    /** The entries of a class path list the executor module's build wrote, or {@code null}. */
    private static List<String> resource(String name) {
        try (InputStream in = ExecutorMain.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                return null;
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? List.of() : List.of(text.split(File.pathSeparator));
        } catch (IOException e) {
            LOG.debug("executor class path: cannot read {}: {}", name, e.toString());
            return null;
        }
    }

    private static Path locationOf(Class<?> c) {
        try {
            CodeSource source = c.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) {
                return null;
            }
            Path p = Path.of(source.getLocation().toURI());
            return Files.exists(p) ? p.toAbsolutePath().normalize() : null;
        } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
            LOG.debug("executor class path: {}: {}", c.getName(), e.toString());
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
