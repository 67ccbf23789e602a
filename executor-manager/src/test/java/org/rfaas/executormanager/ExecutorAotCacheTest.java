package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.executor.ExecutorMain;

/**
 * The executors' AOT cache: made by a training JVM at manager start, installed atomically, used by
 * executor JVMs, made by one of several managers only, and absent (never half-made, nothing left
 * running) when the training fails or the manager closes first.
 *
 * <p>The JVM archives classes from JARs only, and this module's tests see the executor's classes
 * in directories: the tests pack each directory of the executor class path into a JAR first.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExecutorAotCacheTest {
    private static final String MAIN = ExecutorMain.class.getName();
    @TempDir
    static Path jars;
    static String jarClassPath;

    @TempDir
    Path dir;
    final List<ExecutorManager> managers = new ArrayList<>();

    @BeforeAll
    static void packClassPath() throws IOException {
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : ExecutorClassPath.compute().classPath().split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (Files.isDirectory(p)) {
                Path jar = jars.resolve("entry-" + n++ + ".jar");
                TestJars.pack(p, jar);
                entries.add(jar.toString());
            } else {
                entries.add(entry);
            }
        }
        jarClassPath = String.join(File.pathSeparator, entries);
    }

    @BeforeEach
    void noTrainingLeftFromAnotherTest() {
        assertEquals(List.of(), children());
    }

    @AfterEach
    void closeManagers() {
        managers.forEach(ExecutorManager::close);
        assertEquals(List.of(), children(), "a training JVM outlived its manager");
    }

    @Test
    void aManagerMakesTheCacheOnceAndItsExecutorsStartFromIt() throws Exception {
        Path cacheDir = dir.resolve("cache");
        ExecutorManager first = manager("a", cacheDir);
        ExecutorManager second = manager("b", cacheDir);
        assertFalse(first.executorAotCacheReady());
        assertFalse(first.javaCommand(256).stream().anyMatch(o -> o.startsWith("-XX:AOTCache")),
                "no cache yet: executors start with the CDS archive");
        first.start();
        second.start(); // same JDK, class path and options: the same cache, already being made
        assertFalse(second.executorAotCache().trained().get(10, TimeUnit.SECONDS),
                "the second manager must leave the training to the first");
        assertTrue(first.executorAotCache().trained().get(100, TimeUnit.SECONDS), "training failed; see "
                + dir.resolve("a/aot-training.log"));

        Path cache = first.executorAotCache().file();
        assertEquals(cacheDir, cache.getParent());
        assertTrue(Files.size(cache) > 0);
        assertTrue(second.executorAotCacheReady(), "the other manager's executors use the cache too");
        try (Stream<Path> files = Files.list(cacheDir)) {
            assertEquals(List.of(cache.getFileName().toString(), cache.getFileName() + ".lock"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "temporary files left behind");
        }
        assertFalse(Files.exists(dir.resolve("a/aot-training")));

        List<String> command = first.javaCommand(128);
        assertTrue(command.contains("-XX:AOTCache=" + cache), command.toString());
        assertFalse(command.stream().anyMatch(o -> o.startsWith("-XX:SharedArchiveFile")), command.toString());
        assertFalse(command.contains("-XX:-AOTReplayTraining"), "a spare replays the training's compilations");
        List<String> forked = first.forkedJavaCommand(128);
        assertTrue(forked.contains("-XX:AOTCache=" + cache), forked.toString());
        assertTrue(forked.contains("-XX:-AOTReplayTraining"), "a forked executor does not: " + forked);
        assertTrue(forked.containsAll(ExecutorLauncher.lessCompilingAtStart()), forked.toString());
        assertFalse(command.stream().anyMatch(o -> o.startsWith("-XX:Compile")), "a spare compiles as usual: " + command);
        // AOT mode "on" fails the JVM when it cannot map the cache; the executor then complains
        // about its missing arguments (exit 2) only if the cache was usable, also without the replay.
        for (List<String> c : List.of(command, forked)) {
            List<String> strict = new ArrayList<>(c);
            strict.add(1, "-XX:AOTMode=on");
            Process p = new ProcessBuilder(strict).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue(), output);
            assertTrue(output.contains("usage: --manager ADDRESS"), output);
            assertFalse(output.contains("CompileCommand"), "the JIT options print nothing: " + output);
        }

        ExecutorManager later = manager("c", cacheDir);
        later.start();
        assertTrue(later.executorAotCache().trained().get(10, TimeUnit.SECONDS), "a made cache is reused");
    }

    @Test
    void aChangedJarGetsItsOwnCache() throws Exception {
        Path cacheDir = dir.resolve("cache");
        Path before = ExecutorClassPath.of(jarClassPath, cacheDir).aotCache(List.of(), dir).file();
        Path jar = Path.of(jarClassPath.split(File.pathSeparator)[0]);
        FileTime old = Files.getLastModifiedTime(jar);
        try {
            Files.setLastModifiedTime(jar, FileTime.fromMillis(old.toMillis() - 60_000));
            Path after = ExecutorClassPath.of(jarClassPath, cacheDir).aotCache(List.of(), dir).file();
            assertFalse(before.equals(after), "a rebuilt JAR must not reuse a cache the JVM would reject");
        } finally {
            Files.setLastModifiedTime(jar, old);
        }
        assertEquals(before, ExecutorClassPath.of(jarClassPath, cacheDir).aotCache(List.of(), dir).file());
        assertFalse(before.equals(ExecutorClassPath.of(jarClassPath, cacheDir).aotCache(List.of("-Xint"), dir).file()));
    }

    @Test
    void aFailedTrainingLeavesNoCacheAndExecutorsStartWithout() throws Exception {
        Path cacheDir = dir.resolve("cache");
        // Without the executor's own JAR (the first entry) the training JVM cannot find its main class: exit 1.
        String broken = Stream.of(jarClassPath.split(File.pathSeparator)).skip(1)
                .reduce((a, b) -> a + File.pathSeparator + b).orElseThrow();
        ExecutorManager manager = new ExecutorManager(config("f"), null, ExecutorClassPath.of(broken, cacheDir));
        managers.add(manager);
        manager.start();
        assertFalse(manager.executorAotCache().trained().get(100, TimeUnit.SECONDS));
        assertFalse(manager.executorAotCacheReady());
        assertTrue(Files.exists(dir.resolve("f/aot-training.log")), "the training log is kept for a post-mortem");
        try (Stream<Path> files = Files.list(cacheDir)) {
            assertEquals(List.of(), files.filter(p -> !p.toString().endsWith(".lock")).toList());
        }
        assertTrue(manager.javaCommand(256).stream().anyMatch(o -> o.startsWith("-XX:SharedArchiveFile")));
    }

    @Test
    void closingTheManagerStopsAnUnfinishedTraining() throws Exception {
        Path cacheDir = dir.resolve("cache");
        ExecutorManager manager = manager("s", cacheDir);
        manager.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (children().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(children().isEmpty(), "no training started");
        manager.close();
        assertFalse(manager.executorAotCache().trained().get(10, TimeUnit.SECONDS));
        assertEquals(List.of(), children());
        try (Stream<Path> files = Files.list(cacheDir)) {
            assertEquals(List.of(), files.filter(p -> !p.toString().endsWith(".lock")).toList());
        }
    }

    @Test
    void classesInDirectoriesCannotBeCachedAndNoTrainingStarts() throws Exception {
        ExecutorClassPath withDirectories = ExecutorClassPath.compute();
        ExecutorAotCache cache = withDirectories.aotCache(List.of(), dir);
        if (Stream.of(withDirectories.classPath().split(File.pathSeparator)).noneMatch(e -> Files.isDirectory(Path.of(e)))) {
            return; // run against packed modules: nothing to check here
        }
        assertNotNull(cache.unavailable());
        ExecutorManager manager = new ExecutorManager(config("d"), null, withDirectories);
        managers.add(manager);
        manager.start();
        assertFalse(manager.executorAotCache().trained().get(10, TimeUnit.SECONDS));
        assertEquals(List.of(), children());
        assertNull(ExecutorClassPath.of(jarClassPath, dir).aotCache(List.of(), dir).unavailable());
    }

    private ExecutorManager manager(String name, Path cacheDir) {
        ExecutorManager m = new ExecutorManager(config(name), null, ExecutorClassPath.of(jarClassPath, cacheDir));
        managers.add(m);
        return m;
    }

    private ExecutorManagerConfig config(String name) {
        return ExecutorManagerConfig.of(name, List.of("tcp://127.0.0.1:0"), 2, 1024, dir.resolve(name))
                .withSpareExecutors(0);
    }

    private static List<ProcessHandle> children() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList();
    }
}
