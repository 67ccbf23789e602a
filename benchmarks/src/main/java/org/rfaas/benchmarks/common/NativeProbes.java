package org.rfaas.benchmarks.common;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The project's C reference probes, compiled on first use.
 *
 * <p>The sources live on the class path under {@value #RESOURCE_DIR} ({@code *.c} and
 * {@code *.h}). They are copied into {@code <cache>/<hash>/}, where the hash covers every source
 * and the compiler flags, and each probe is compiled there with {@code gcc -O2} the first time it
 * is asked for; later runs (and concurrent ones: binaries are renamed into place atomically) reuse
 * the binary. The cache is {@code $XDG_CACHE_HOME/rfaas/probes}, else
 * {@code ~/.cache/rfaas/probes}. The compiler is the system property {@value #CC_PROPERTY}, else
 * {@code $CC}, else {@code gcc}.
 *
 * <p>A probe that cannot be built ({@code gcc} missing, a library missing) is returned as
 * unavailable with a reason, so a benchmark prints a skip line and goes on with its own
 * measurements.
 */
public final class NativeProbes {

    /** Where the probe sources live on the class path. */
    public static final String RESOURCE_DIR = "org/rfaas/benchmarks/probes/";
    private static final List<String> CFLAGS = List.of("-O2", "-Wall", "-std=gnu11");
    /** Extra link flags per probe; {@code fi_probe} calls libfabric. */
    private static final Map<String, List<String>> LIBS = Map.of("fi_probe", List.of("-lfabric"));

    private final Path dir;
    private final Map<String, String> sources;
    private final Map<String, Probe> built = new ConcurrentHashMap<>();
    private String compilerProblem;
    private boolean compilerChecked;

    private NativeProbes(Path dir, Map<String, String> sources) {
        this.dir = dir;
        this.sources = sources;
    }

    /** Probes cached under the default cache directory. */
    public static NativeProbes inDefaultCache() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path root = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return inCache(root.resolve("rfaas").resolve("probes"));
    }

    /**
     * Probes cached under {@code cacheRoot}: the sources are written to a sub-directory named
     * after their hash (nothing is compiled yet).
     */
    public static NativeProbes inCache(Path cacheRoot) {
        Map<String, String> sources = readSources();
        Path dir = cacheRoot.resolve(hash(sources));
        try {
            Files.createDirectories(dir);
            for (var e : sources.entrySet()) {
                Path f = dir.resolve(e.getKey());
                if (!Files.exists(f) || !Files.readString(f).equals(e.getValue())) {
                    writeAtomically(f, e.getValue().getBytes(StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the probe cache " + dir + ": " + e.getMessage(), e);
        }
        return new NativeProbes(dir, sources);
    }

    /** The directory holding the sources and binaries of this build of the probes. */
    public Path directory() {
        return dir;
    }

    /** {@code true} when the class path carries {@code <name>.c}. */
    public boolean has(String name) {
        return sources.containsKey(name + ".c");
    }

    /**
     * The probe {@code name} (its source is {@code <name>.c}), compiled if needed. Never throws
     * for a missing compiler or a failed build: the probe comes back unavailable with the reason.
     */
    public Probe probe(String name) {
        return built.computeIfAbsent(name, this::build);
    }

    private Probe build(String name) {
        if (!has(name)) {
            return Probe.unavailable(name, name + ".c is not on the class path");
        }
        Path exe = dir.resolve(name);
        if (Files.isExecutable(exe)) {
            return Probe.available(name, exe);
        }
        String cc = compilerCommand();
        String problem = compilerProblem(cc);
        if (problem != null) {
            return Probe.unavailable(name, problem);
        }
        Path tmp = dir.resolve(name + ".tmp." + ProcessHandle.current().pid());
        List<String> cmd = new ArrayList<>();
        cmd.add(cc);
        cmd.addAll(CFLAGS);
        cmd.addAll(List.of("-o", tmp.toString(), dir.resolve(name + ".c").toString()));
        cmd.addAll(LIBS.getOrDefault(name, List.of()));
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Probe.unavailable(name, "compiling " + name + ".c took over 120 s");
            }
            if (p.exitValue() != 0) {
                Files.deleteIfExists(tmp);
                return Probe.unavailable(name, "cannot compile " + name + ".c (" + String.join(" ", cmd) + "): "
                        + firstLines(out, 3));
            }
            move(tmp, exe);
            return Probe.available(name, exe);
        } catch (IOException e) {
            return Probe.unavailable(name, "cannot compile " + name + ".c: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Probe.unavailable(name, "interrupted while compiling " + name + ".c");
        }
    }

    /** The system property that names the C compiler, before {@code $CC} and {@code gcc}. */
    public static final String CC_PROPERTY = "rfaas.probes.cc";

    private static String compilerCommand() {
        String cc = System.getProperty(CC_PROPERTY);
        if (cc == null || cc.isBlank()) {
            cc = System.getenv("CC");
        }
        return cc == null || cc.isBlank() ? "gcc" : cc.strip();
    }

    /** Checks the compiler once; returns why it cannot be used, or {@code null}. */
    private synchronized String compilerProblem(String cc) {
        if (!compilerChecked) {
            compilerChecked = true;
            try {
                Process p = new ProcessBuilder(cc, "--version").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    compilerProblem = cc + " not working ('" + cc + " --version' failed)";
                }
            } catch (IOException e) {
                compilerProblem = cc + " not found (install gcc to get the C reference measurements)";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                compilerProblem = "interrupted while looking for " + cc;
            }
        }
        return compilerProblem;
    }

    private static String firstLines(String s, int n) {
        return String.join(" | ", s.strip().lines().limit(n).toList());
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void writeAtomically(Path f, byte[] bytes) throws IOException {
        Path tmp = f.resolveSibling(f.getFileName() + ".tmp." + ProcessHandle.current().pid());
        Files.write(tmp, bytes);
        move(tmp, f);
    }

    private static String hash(Map<String, String> sources) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(String.join(" ", CFLAGS).getBytes(StandardCharsets.UTF_8));
            md.update(LIBS.toString().getBytes(StandardCharsets.UTF_8));
            for (var e : sources.entrySet()) { // sorted: a TreeMap
                md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
                md.update(e.getValue().getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
            }
            return HexFormat.of().formatHex(md.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** Reads every {@code .c}/{@code .h} under {@link #RESOURCE_DIR}, from a directory or a jar. */
    private static Map<String, String> readSources() {
        ClassLoader cl = NativeProbes.class.getClassLoader();
        URL anchor = cl.getResource(RESOURCE_DIR + "rfaas_probe.h");
        if (anchor == null) {
            throw new IllegalStateException("probe sources missing from the class path (" + RESOURCE_DIR + ")");
        }
        List<String> names = new ArrayList<>();
        try {
            if (anchor.getProtocol().equals("jar")) {
                JarURLConnection conn = (JarURLConnection) anchor.openConnection();
                conn.setUseCaches(false);
                try (JarFile jar = conn.getJarFile()) {
                    for (JarEntry e : (Iterable<JarEntry>) jar.stream()::iterator) {
                        String n = e.getName();
                        if (n.startsWith(RESOURCE_DIR) && n.indexOf('/', RESOURCE_DIR.length()) < 0) {
                            names.add(n.substring(RESOURCE_DIR.length()));
                        }
                    }
                }
            } else {
                try (Stream<Path> files = Files.list(Path.of(anchor.toURI()).getParent())) {
                    files.forEach(f -> names.add(f.getFileName().toString()));
                }
            }
            Map<String, String> out = new TreeMap<>();
            for (String n : names) {
                if (n.endsWith(".c") || n.endsWith(".h")) {
                    try (InputStream in = cl.getResourceAsStream(RESOURCE_DIR + n)) {
                        if (in == null) {
                            throw new IllegalStateException("cannot read probe source " + n);
                        }
                        out.put(n, new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    }
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the probe sources: " + e.getMessage(), e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("bad probe resource URL " + anchor, e);
        }
    }
}
