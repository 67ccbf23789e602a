package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Caches of older builds are pruned when a new one is installed, so the cache directory stays bounded. */
final class ExecutorCachePruningTest {

    private static Path file(Path dir, String name, long minutesAgo) throws IOException {
        Path p = Files.writeString(dir.resolve(name), name);
        Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis() - minutesAgo * 60_000));
        return p;
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void keepsTheCurrentCacheAndTheNewestOthersOfEachKind(@TempDir Path dir) throws IOException {
        for (int i = 1; i <= 6; i++) {
            file(dir, "executor-old" + i + ".aot", i * 10L);
            file(dir, "executor-old" + i + ".aot.lock", i * 10L);
            file(dir, "executor-old" + i + ".jsa", i * 10L);
        }
        Path current = file(dir, "executor-current.aot", 1000); // the one just installed, even if its time is old
        file(dir, "executor-current.aot.lock", 1000);
        file(dir, "executor-training.aot.lock", 0); // another manager training: its cache does not exist yet
        file(dir, "unrelated.txt", 5000);

        ExecutorAotCache.pruneOlderCaches(current, 3);

        assertEquals(List.of("executor-current.aot", "executor-current.aot.lock",
                "executor-old1.aot", "executor-old1.aot.lock", "executor-old1.jsa",
                "executor-old2.aot", "executor-old2.aot.lock", "executor-old2.jsa",
                "executor-old3.aot", "executor-old3.aot.lock", "executor-old3.jsa",
                "executor-training.aot.lock", "unrelated.txt"), names(dir));
    }

    @Test
    void fewerCachesThanTheLimitAreAllKept(@TempDir Path dir) throws IOException {
        file(dir, "executor-a.aot", 10);
        file(dir, "executor-b.jsa", 20);
        Path current = file(dir, "executor-c.aot", 0);

        ExecutorAotCache.pruneOlderCaches(current, 3);

        assertEquals(List.of("executor-a.aot", "executor-b.jsa", "executor-c.aot"), names(dir));
    }
}
