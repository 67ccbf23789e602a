package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Spare executors boot with the manager, before any lease, with the configured heap; none outlive it. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SpareExecutorsAtStartTest {
    @TempDir
    Path dir;
    ExecutorManager manager;

    @AfterEach
    void close() {
        if (manager != null) {
            manager.close();
        }
        assertEquals(List.of(), ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList(),
                "a spare executor outlived its manager");
    }

    @Test
    void sparesOfTheConfiguredHeapBootWithTheManager() throws Exception {
        manager = new ExecutorManager(ExecutorManagerConfig.of("n", List.of("tcp://127.0.0.1:0"), 2, 1024, dir)
                .withSpareExecutors(2).withSpareMemoryMiB(128), null);
        manager.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (manager.spareExecutorPids().size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        List<Long> pids = manager.spareExecutorPids();
        assertEquals(2, pids.size(), "spares started before any lease: " + pids);
        for (long pid : pids) {
            ProcessHandle p = ProcessHandle.of(pid).orElseThrow();
            // Read just after the launch, a sandboxed spare may be between its execs (join shell,
            // bubblewrap, java), when the kernel shows no command line yet: read again shortly.
            List<String> args = List.of();
            long argsDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (args.isEmpty() && System.nanoTime() < argsDeadline) {
                args = List.of(p.info().arguments().orElse(new String[0]));
                if (args.isEmpty()) {
                    Thread.sleep(20);
                }
            }
            assertTrue(args.contains("-Xmx128m") && args.contains("--spare"), args.toString());
        }
        // Each booting spare's CPU time (its sandbox cgroup's, else its JVM's) is read, and grows.
        Await.until(() -> manager.spareExecutorCpuNanos().keySet().equals(Set.copyOf(pids))
                && manager.spareExecutorCpuNanos().values().stream().allMatch(ns -> ns > 10_000_000L),
                "every spare's CPU time read and past 10 ms");
        manager.close();
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(p -> p.onExit().join());
        }
    }

    @Test
    void noSpareBeforeTheFirstLeaseWhenTheirHeapIsZero() throws Exception {
        manager = new ExecutorManager(ExecutorManagerConfig.of("n", List.of("tcp://127.0.0.1:0"), 2, 1024, dir)
                .withSpareExecutors(2).withSpareMemoryMiB(0), null);
        manager.start();
        Thread.sleep(1_000);
        assertEquals(List.of(), manager.spareExecutorPids());
    }
}
