package org.rfaas.executormanager;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executors' AOT cache (JDK 25: JEP 483 ahead-of-time class loading and linking, JEP 514
 * one-step creation, JEP 515 method profiles): a file that executor JVMs map at start
 * ({@code -XX:AOTCache}) instead of loading, verifying and linking their classes from JARs.
 *
 * <p>Created once per JDK, executor class path (with each JAR's size and time) and executor JVM
 * options, in the background: a training JVM ({@code ExecutorMain --train}, see
 * {@code ExecutorTraining}) runs a real executor over shm and tcp with
 * {@code -XX:AOTCacheOutput} and writes the cache when it exits. It writes to a temporary name;
 * the manager moves the file into place atomically only after the training exited with 0, so an
 * executor never sees a partial cache. A lock file lets one of several managers (of this user,
 * on this machine) train while the others carry on without the cache until it appears. When the
 * training fails, the manager logs why (the training log is kept) and executors keep using the
 * dynamic CDS archive; a cache that the JVM rejects at start is ignored by it (AOT mode
 * {@code auto}), so an executor never fails because of the cache.
 *
 * <p>Not available when the class path has directories (the JVM archives classes from JARs
 * only, e.g. tests run from {@code target/classes}) or the JDK is older than 25.
 */
final class ExecutorAotCache implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorAotCache.class);
    /** The JDK release whose AOT cache options the executors' command uses. */
    static final int MIN_FEATURE_RELEASE = 25;

    private final Path file;
    private final String unavailable;
    private final CompletableFuture<Boolean> trained = new CompletableFuture<>();
    private Process training;
    private FileChannel lockChannel;
    private FileLock lock;
    private Path temporary;
    private boolean closed;

    /**
     * @param file where the cache lives once made
     * @param unavailable why there can be no cache here, or {@code null} when there can be one
     */
    ExecutorAotCache(Path file, String unavailable) {
        this.file = file;
        this.unavailable = unavailable;
    }

    /** The cache file (it exists once {@link #ready()}). */
    Path file() {
        return file;
    }

    /** Whether executors can start from the cache now. */
    boolean ready() {
        return unavailable == null && Files.isRegularFile(file);
    }

    /** The pid of this manager's training JVM while it runs. */
    synchronized OptionalLong trainingPid() {
        Process p = training;
        return p != null && p.isAlive() ? OptionalLong.of(p.pid()) : OptionalLong.empty();
    }

    /** Why no cache can be made here, or {@code null}. */
    String unavailable() {
        return unavailable;
    }

    /**
     * Completes when this manager's training ended: {@code true} when it installed the cache (or
     * the cache was there already), {@code false} when there is none (unavailable, failed, another
     * manager is training, or closed first).
     */
    CompletableFuture<Boolean> trained() {
        return trained;
    }

    /**
     * Starts the training in the background unless the cache exists, cannot exist here, or
     * another manager is making it.
     *
     * @param javaCommand the executor JVM command up to (without) the class path and main class
     * @param classPath the executors' class path
     * @param mainClass the executor main class
     * @param workDir where the training's package and log go
     */
    synchronized void trainIfMissing(List<String> javaCommand, String classPath, String mainClass, Path workDir) {
        if (unavailable != null) {
            LOG.debug("no executor AOT cache: {}", unavailable);
            trained.complete(false);
            return;
        }
        if (ready()) {
            trained.complete(true);
            return;
        }
        if (closed || training != null) {
            return;
        }
        if (!tryLock()) {
            LOG.info("another executor manager is making the executors' AOT cache {}; using it once it is there", file);
            trained.complete(false);
            return;
        }
        if (ready()) { // made by another manager between our check and our lock
            releaseLock();
            trained.complete(true);
            return;
        }
        deleteStaleTemporaries();
        temporary = file.resolveSibling(file.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong())
                + ".tmp");
        Path trainingDir = workDir.resolve("aot-training");
        Path log = workDir.resolve("aot-training.log");
        List<String> command = new ArrayList<>(javaCommand);
        command.add("-XX:AOTCacheOutput=" + temporary);
        command.add("-cp");
        command.add(classPath);
        command.add(mainClass);
        command.add("--train");
        command.add(trainingDir.toString());
        long started = System.nanoTime();
        try {
            Files.createDirectories(workDir);
            training = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            LOG.warn("cannot start the training of the executors' AOT cache: {}; executors start without it",
                    e.getMessage());
            finish(false, trainingDir);
            return;
        }
        LOG.info("making the executors' AOT cache {} (training pid {}, log {})", file, training.pid(), log);
        Process p = training;
        p.onExit().thenRun(() -> onTrainingExit(p, started, trainingDir, log));
    }

    private void onTrainingExit(Process p, long started, Path trainingDir, Path log) {
        synchronized (this) {
            if (closed) {
                finish(false, trainingDir);
                return;
            }
            int code = p.exitValue();
            boolean made = code == 0 && isNonEmptyFile(temporary);
            if (made) {
                try {
                    moveIntoPlace(temporary, file);
                } catch (IOException e) {
                    LOG.warn("cannot install the executors' AOT cache {}: {}", file, e.getMessage());
                    made = false;
                }
            }
            if (made) {
                LOG.info("executors' AOT cache ready after {} ms: {}", (System.nanoTime() - started) / 1_000_000, file);
                deleteQuietly(log);
                pruneOlderCaches(file, KEEP_PER_KIND);
            } else {
                LOG.warn("the training of the executors' AOT cache failed (exit code {}); executors start without "
                        + "it; see {}", code, log);
            }
            finish(made, trainingDir);
        }
    }

    /** Ends this manager's part: temporary files gone, lock released, {@link #trained()} completed. */
    private void finish(boolean made, Path trainingDir) {
        if (temporary != null) {
            deleteQuietly(temporary);
            deleteQuietly(temporary.resolveSibling(temporary.getFileName() + ".config"));
        }
        if (trainingDir != null) {
            deleteTree(trainingDir);
        }
        releaseLock();
        training = null;
        trained.complete(made);
    }

    /** Temporary files of a training whose manager died (we hold the lock: nobody else is training). */
    private void deleteStaleTemporaries() {
        String prefix = file.getFileName() + ".";
        try (var siblings = Files.list(file.getParent())) {
            siblings.filter(p -> p.getFileName().toString().startsWith(prefix)
                    && (p.toString().endsWith(".tmp") || p.toString().endsWith(".tmp.config")))
                    .forEach(ExecutorAotCache::deleteQuietly);
        } catch (IOException e) {
            LOG.debug("cannot list {}: {}", file.getParent(), e.getMessage());
        }
    }

    private static void moveIntoPlace(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the cache directory cannot rename atomically: " + e.getMessage(), e);
        }
    }

    private boolean tryLock() {
        Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
        try {
            Files.createDirectories(file.getParent());
            lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // another manager in this JVM holds it
        } catch (IOException e) {
            LOG.info("cannot lock {} ({}); executors start without an AOT cache", lockFile, e.getMessage());
            lock = null;
        }
        if (lock == null) {
            closeLockChannel();
            return false;
        }
        return true;
    }

    private void releaseLock() {
        if (lock != null) {
            try {
                lock.release();
            } catch (IOException e) {
                LOG.debug("releasing the AOT cache lock: {}", e.getMessage());
            }
            lock = null;
        }
        closeLockChannel();
    }

    private void closeLockChannel() {
        if (lockChannel != null) {
            try {
                lockChannel.close();
            } catch (IOException e) {
                LOG.debug("closing the AOT cache lock file: {}", e.getMessage());
            }
            lockChannel = null;
        }
    }

    /** Stops a running training (and the JVM it may have started to write the cache). */
    @Override
    public void close() {
        Process p;
        synchronized (this) {
            closed = true;
            p = training;
        }
        if (p == null) {
            trained.complete(false);
            return;
        }
        LOG.info("stopping the unfinished training of the executors' AOT cache (pid {})", p.pid());
        // The assembly JVM is a child of the training JVM: stop it too, never leave it behind.
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.onExit().join();
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        trained.join();
    }

    /** Caches (and CDS archives) of other builds kept beside the newest one, per kind. */
    static final int KEEP_PER_KIND = 3;

    /**
     * Each rebuild (or JDK update) fingerprints to a new cache of about 20 MB, so without pruning
     * the cache directory only grows. After installing {@code current}, deletes all but the
     * {@code keep} most recently modified other {@code executor-*.aot} and {@code executor-*.jsa}
     * files beside it, with the lock files of the deleted caches. A JVM that still maps a deleted
     * file keeps it (Linux unlinks lazily); a manager that later names it starts its executors
     * without it (AOT and CDS mode {@code auto}), and the next training makes it again.
     */
    static void pruneOlderCaches(Path current, int keep) {
        Path dir = current.getParent();
        for (String kind : List.of(".aot", ".jsa")) {
            List<Path> others;
            try (var files = Files.list(dir)) {
                others = files.filter(p -> {
                    String name = p.getFileName().toString();
                    return name.startsWith("executor-") && name.endsWith(kind) && !p.equals(current)
                            && Files.isRegularFile(p);
                }).sorted(java.util.Comparator.comparingLong(ExecutorAotCache::modified).reversed()).toList();
            } catch (IOException e) {
                LOG.debug("cannot list {}: {}", dir, e.getMessage());
                return;
            }
            for (Path old : others.subList(Math.min(keep, others.size()), others.size())) {
                deleteQuietly(old);
                deleteQuietly(old.resolveSibling(old.getFileName() + ".lock"));
                LOG.debug("deleted the executor cache {} of an older build", old);
            }
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    private static boolean isNonEmptyFile(Path p) {
        try {
            return p != null && Files.isRegularFile(p) && Files.size(p) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.debug("cannot delete {}: {}", p, e.getMessage());
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.debug("cannot delete {}: {}", dir, e.getMessage());
        }
    }
}
