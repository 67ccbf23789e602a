package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A sandboxed executor whose class path lies under {@code /tmp} (a build in a temporary clone, a
 * class path unpacked into a temporary directory) still sees it: the sandbox's private {@code /tmp}
 * must not hide the read-only binds beneath it. A spare that cannot load its classes never
 * connects, so a connected spare is the check.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SandboxClassPathUnderTmpTest {
    Path tmp;
    ExecutorManager manager;

    @AfterEach
    void close() throws IOException {
        if (manager != null) {
            manager.close();
        }
        for (ProcessHandle p : ProcessHandle.current().descendants().toList()) {
            p.onExit().join();
        }
        if (tmp != null) {
            try (Stream<Path> paths = Files.walk(tmp)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    void aSpareWhoseClassPathIsUnderTmpConnects() throws Exception {
        tmp = Files.createTempDirectory(Path.of("/tmp"), "rfaas-sandbox-cp");
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : ExecutorClassPath.compute().classPath().split(File.pathSeparator)) {
            Path p = Path.of(entry);
            Path copy = tmp.resolve("entry-" + n++ + ".jar");
            if (Files.isDirectory(p)) {
                TestJars.pack(p, copy);
            } else {
                Files.copy(p, copy);
            }
            entries.add(copy.toString());
        }
        manager = new ExecutorManager(ExecutorManagerConfig.of("n", List.of("tcp://127.0.0.1:0"), 2, 2048,
                tmp.resolve("work")).withSpareExecutors(1).withSandbox(true), null,
                ExecutorClassPath.of(String.join(File.pathSeparator, entries), tmp.resolve("cache")));
        manager.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (manager.connectedSpareCount() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(manager.connectedSpareCount() == 1,
                "the sandboxed spare did not connect: its class path under /tmp was hidden from it");
    }
}
