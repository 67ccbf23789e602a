package org.rfaas.executormanager;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.spi.SelectorProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.rfaas.executor.ExecutorMain;
import org.rfaas.executormanager.packages.PackageCache;
import org.rfaas.protocol.ExecutorAssignment;
import org.rfaas.protocol.PackageDigest;
import org.rfaas.transport.Transports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts executor JVMs: their command line (heap, class path, AOT cache or class-data-sharing
 * archive, the JVM options tuned for a short-lived latency-critical process) and the training run
 * of their AOT cache. Every executor starts the same way, with nothing of its lease on the command
 * line: the manager's address; {@code --spare} for one started ahead of demand (with what it may
 * prepare: the node's other client transports, its most recent package), whose lease comes later
 * in an assignment message; or, for one forked for a lease, the path of that message, written
 * before it starts ({@link #stageAssignment}); and its spawn secret in the environment.
 *
 * <p>Threads: called from connection threads and the manager's timer; {@link ExecutorAotCache}
 * trains on a thread of its own.
 */
final class ExecutorLauncher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorLauncher.class);
    /** The system property naming the NIO selector provider class ({@link SelectorProvider#provider()}). */
    static final String SELECTOR_PROVIDER_PROPERTY = "java.nio.channels.spi.SelectorProvider";
    /** The name of a spare's preloaded package in its sandbox directory. */
    static final String PRELOAD_FILE = "preload-package";
    /** The name of a forked executor's assignment in its directory. */
    static final String ASSIGNMENT_FILE = "assignment";

    private final ExecutorManagerConfig config;
    private final ExecutorClassPath classPath;
    private final Path cdsArchive;
    private final ExecutorAotCache aotCache;
    /** {@code null} when executors run unconfined. */
    private final ExecutorSandbox sandbox;
    /** Where a spare's preloaded package comes from (its most recent one); set once by the manager. */
    private volatile PackageCache recentPackages;

    ExecutorLauncher(ExecutorManagerConfig config, ExecutorClassPath classPath) {
        this.config = config;
        this.classPath = classPath;
        this.sandbox = ExecutorSandbox.open(config);
        this.cdsArchive = classPath.archive(config.workDir());
        this.aotCache = classPath.aotCache(jvmOptions(), config.workDir());
        LOG.debug("executors: {} class path, CDS archive {}, AOT cache {}{}", classPath.slim() ? "slim" : "full",
                cdsArchive, aotCache.file(), aotCache.unavailable() == null ? "" : " (" + aotCache.unavailable() + ")");
    }

    /** The executors' AOT cache. */
    ExecutorAotCache aotCache() {
        return aotCache;
    }

    /** The executors' sandbox, or {@code null} when they run unconfined. */
    ExecutorSandbox sandbox() {
        return sandbox;
    }

    /** Starts the AOT cache's training run when there is no cache yet (in the background). */
    void trainIfMissing() {
        aotCache.trainIfMissing(trainingCommand(), classPath.classPath(), ExecutorMain.class.getName(),
                config.workDir());
    }

    /**
     * Starts {@code executor}'s JVM in {@code directory}, its output to {@code log}.
     *
     * @param managerAddress where it connects to say hello and get its assignment
     */
    Process start(LaunchedExecutor executor, String managerAddress, Path directory, Path log) throws IOException {
        List<String> command = javaCommand(executor.memoryMiB, !executor.spare);
        command.addAll(List.of("--manager", sandbox == null ? managerAddress
                : ExecutorSandbox.managerAddress(managerAddress)));
        if (executor.spare) {
            command.add("--spare");
            String others = preloadTransports(config.listen(), managerAddress);
            if (!others.isEmpty()) {
                command.addAll(List.of("--preload", others));
            }
        }
        if (sandbox != null) {
            List<Path> archives = aotCache.ready() ? List.of(aotCache.file()) : List.of(cdsArchive);
            command = sandbox.prepare(executor, command, classPath.classPath(), archives,
                    ExecutorSandbox.shmSocket(managerAddress));
        }
        // Last on the command line (after the sandbox's, which ends with the Java command).
        if (executor.spare) {
            command.addAll(preloadPackageArguments(executor));
        } else if (executor.assignment != null) {
            try {
                command.addAll(stageAssignment(executor, directory));
            } catch (IOException | RuntimeException e) {
                if (sandbox != null) {
                    sandbox.release(executor);
                }
                throw e;
            }
        }
        ProcessBuilder pb = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        if (sandbox != null) {
            try {
                return new SandboxedProcess(sandbox.spawn(pb, executor.secret), executor.cgroup);
            } catch (IOException | RuntimeException e) {
                sandbox.release(executor);
                throw e;
            }
        }
        pb.environment().put(ExecutorMain.SPAWN_SECRET_ENV, Long.toString(executor.secret));
        return pb.start();
    }

    /**
     * {@code --assignment PATH} for an executor forked for its lease: the assignment message it
     * would get after its hello, written to {@value #ASSIGNMENT_FILE} in its directory (read-only
     * inside the sandbox) with the paths as it sees them. It then loads its package while it
     * connects to the manager, rather than after a round trip to it.
     */
    List<String> stageAssignment(LaunchedExecutor executor, Path directory) throws IOException {
        ExecutorAssignment a = executor.assignment;
        Path dir = directory;
        String inside;
        if (sandbox != null) {
            a = sandbox.stage(executor, a);
            dir = executor.sandboxDir;
            inside = ExecutorSandbox.INSIDE_DIR + "/" + ASSIGNMENT_FILE;
        } else {
            inside = dir.resolve(ASSIGNMENT_FILE).toAbsolutePath().toString();
        }
        byte[] bytes;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(ExecutorMain.MAX_ASSIGNMENT_BYTES);
            int length = a.encode(buffer, 0);
            bytes = buffer.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
        }
        Files.write(dir.resolve(ASSIGNMENT_FILE), bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        executor.assignment = a;
        executor.staged = true;
        return List.of("--assignment", inside);
    }

    /** Spares preload the most recent package of {@code cache} from now on. */
    void preloadPackagesFrom(PackageCache cache) {
        this.recentPackages = cache;
    }

    /**
     * {@code --preload-package SHA256:PATH} for a spare: the most recent package of the node's
     * cache, linked into the spare's sandbox directory (its path as the spare sees it), or the
     * cached file itself when executors run unconfined; nothing when there is none.
     */
    List<String> preloadPackageArguments(LaunchedExecutor executor) {
        PackageCache cache = recentPackages;
        Optional<PackageDigest> recent = cache == null ? Optional.empty() : cache.mostRecent();
        if (recent.isEmpty()) {
            return List.of();
        }
        Path file = cache.fileOf(recent.get());
        String path = file.toAbsolutePath().toString();
        if (sandbox != null) {
            try {
                Files.createLink(executor.sandboxDir.resolve(PRELOAD_FILE), file);
            } catch (IOException | UnsupportedOperationException e) {
                LOG.debug("spare: cannot link {} for its preload: {}", file, e.toString());
                return List.of();
            }
            path = ExecutorSandbox.INSIDE_DIR + "/" + PRELOAD_FILE;
        }
        executor.preloaded = recent.get();
        return List.of("--preload-package", recent.get().hex() + ":" + path);
    }

    /**
     * The node's client transports other than the one a spare reaches its manager on, as the first
     * listen address of each, comma separated: a spare opens them while it waits (libfabric's start
     * alone is 0.4-0.6 s), so a lease on another transport does not pay for it, and prepares the
     * connection to its client from that address's host (see {@code Transport.keepPrepared}).
     */
    static String preloadTransports(List<String> listen, String managerAddress) {
        String own = Transports.transportOf(managerAddress);
        Map<String, String> first = new LinkedHashMap<>();
        for (String address : listen) {
            String t = Transports.transportOf(address);
            if (!t.equals(own)) {
                first.putIfAbsent(t, address);
            }
        }
        return String.join(",", first.values());
    }

    /**
     * The JVM command of an executor with a heap of {@code memoryMiB}, up to its main class. Tuned
     * for a short-lived, latency-critical process: the executor module's class path only, the AOT
     * cache when it is ready (else a dynamic class-data-sharing archive kept across runs), serial
     * GC, no perf-data file. The JIT stays fully tiered: C1 only would make the hot path slower.
     */
    List<String> javaCommand(long memoryMiB) {
        return javaCommand(memoryMiB, false);
    }

    /**
     * As {@link #javaCommand(long)}; {@code forLease}: for an executor forked for its lease, whose
     * JVM compiles less while it starts. It does not replay the training's compilations: replayed,
     * they are ~400 C1 compiles (0.2 s of a compiler thread) of the code the training ran, in the
     * ~100 ms the JVM takes to its first result, on the same two cores; the lease's start, not the
     * compiles, is what its client waits for (docs/journal/2026-12-cold-start.md, seventh session).
     * And the JDK's code compiles at {@value #FORKED_COMPILE_THRESHOLD_SCALING} times the usual
     * thresholds ({@link #lessCompilingAtStart}). A spare keeps the defaults: it boots on idle
     * cycles, and its rehearsals compile its lease's path anyway.
     */
    List<String> javaCommand(long memoryMiB, boolean forLease) {
        List<String> command = new ArrayList<>();
        command.add(javaExecutable());
        command.add("-Xmx" + memoryMiB + "m");
        if (forLease) {
            command.addAll(lessCompilingAtStart());
        }
        if (aotCache.ready()) {
            // Classes come loaded and linked, with the training's method profiles, from the cache.
            command.add("-XX:AOTCache=" + aotCache.file());
            if (forLease) {
                command.add("-XX:+UnlockDiagnosticVMOptions");
                command.add("-XX:-AOTReplayTraining");
            }
        } else {
            // A dynamic class-data-sharing archive, made by the first executor, maps the classes of
            // every later one instead of loading them from JARs.
            command.add("-XX:+AutoCreateSharedArchive");
            command.add("-XX:SharedArchiveFile=" + cdsArchive);
            command.add("-Xlog:cds=off");
            command.add("-Xlog:cds+dynamic=off");
        }
        command.addAll(jvmOptions());
        command.add("-cp");
        command.add(classPath.classPath());
        command.add(ExecutorMain.class.getName());
        return command;
    }

    /** How many times the usual JIT thresholds a forked executor's JVM compiles the JDK's code at. */
    static final int FORKED_COMPILE_THRESHOLD_SCALING = 10;

    /**
     * The JIT options of a forked executor: every threshold {@value #FORKED_COMPILE_THRESHOLD_SCALING}
     * times higher, but the usual ones for rFaaS's own classes (a per-method factor multiplies the
     * global one). From {@code main} to its first result, a forked shm executor kept both vCPUs
     * busy, and its JIT threads took 37-66 ms of the 105-147 ms of CPU, mostly compiling JDK code
     * that runs only at start (the FFM linker's class generation, lambda forms, JAR reading). Our own
     * serving path still compiles as soon as usual; a function's own classes compile later (C2
     * after ~150,000 calls instead of ~15,000).
     */
    static List<String> lessCompilingAtStart() {
        return List.of("-XX:CompileThresholdScaling=" + FORKED_COMPILE_THRESHOLD_SCALING,
                "-XX:CompileCommand=quiet",
                "-XX:CompileCommand=CompileThresholdScaling,org/rfaas/*.*," + 1.0 / FORKED_COMPILE_THRESHOLD_SCALING);
    }

    /**
     * The options every executor JVM gets besides its heap and class-data archive; the AOT cache is
     * made with them (and is keyed by them: the JVM checks several of them when it maps a cache).
     */
    private List<String> jvmOptions() {
        List<String> options = new ArrayList<>();
        options.add("--enable-native-access=ALL-UNNAMED");
        options.add("-XX:+UseSerialGC");
        // No hsperfdata file to create and map at start (jstat cannot see executors; jcmd still can).
        options.add("-XX:-UsePerfData");
        // Logging is configured in code by ExecutorMain (the XML configuration cost 150-200 ms).
        options.add("-Xss1m");
        // The JDK's own default, as a system property: the first socket address reads it, and
        // without the property that loads the whole security configuration (~12 ms of each start).
        options.add("-Djdk.includeInExceptions=hostInfoExclSocket");
        // The JDK's selector provider, named: without the property, the first NIO channel asks
        // ServiceLoader for one, which opens every JAR of the class path (~12 ms of each start).
        options.add("-D" + SELECTOR_PROVIDER_PROPERTY + "=" + SelectorProvider.provider().getClass().getName());
        options.addAll(config.executorJvmArgs());
        return options;
    }

    /**
     * The training JVM of the AOT cache, up to the class path: the executors' options, at a lower
     * CPU priority when {@code nice} exists (the training must not slow the leases it is for).
     */
    private List<String> trainingCommand() {
        List<String> command = new ArrayList<>();
        for (String nice : List.of("/usr/bin/nice", "/bin/nice")) {
            if (Files.isExecutable(Path.of(nice))) {
                command.addAll(List.of(nice, "-n", "10"));
                break;
            }
        }
        command.add(javaExecutable());
        command.add("-Xmx256m");
        command.addAll(jvmOptions());
        return command;
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin",
                "java").toString());
    }

    @Override
    public void close() {
        aotCache.close();
        if (sandbox != null) {
            sandbox.close();
        }
    }
}
