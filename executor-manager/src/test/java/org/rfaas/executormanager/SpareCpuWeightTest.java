package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.executor.Executor;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * A sandboxed spare boots and waits at the lowest CPU weight of its cgroup (so that its JVM's boot
 * never takes a time slice from a leased worker spinning beside it), and gets the normal weight
 * before its lease's assignment goes out, one busy task's weight per core under groups that weigh
 * as many tasks as the node lends cores. Read from the kernel's files of the process's own cgroup.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class SpareCpuWeightTest {
    @TempDir
    Path dir;
    ExecutorManager manager;
    Transport tcp;

    @AfterEach
    void close() {
        HandWrittenClient.closeAll(manager, tcp);
    }

    @Test
    void aSpareRunsAtTheLowestWeightUntilItsLeaseIsAssigned() throws Exception {
        manager = new ExecutorManager(ExecutorManagerConfig.of("n", List.of("tcp://127.0.0.1:0"), 2, 2048, dir)
                .withSpareExecutors(1).withSpareMemoryMiB(128).withSandbox(true), null);
        String address = manager.start().getFirst();
        // Idle cores give the spare all the CPU it wants at any weight: it boots as before.
        Await.until(() -> manager.connectedSpareCount() == 1, "the spare connected");
        long sparePid = manager.spareExecutorPids().getFirst();
        Path group = cpuGroup(sparePid);
        assertLowest(group, "a waiting spare");

        tcp = Transports.open("tcp");
        byte[] jar = HandWrittenClient.packageJar(dir.resolve("f.jar"));
        try (Listener clientSide = tcp.listen("tcp://127.0.0.1:0", new ConnectionSpec(3, org.rfaas.protocol.ReplyHeader.resultSlotSize(64), 0));
             Connection control = tcp.connect(address, new ConnectionSpec(2, 8192, 0), Duration.ofSeconds(10))) {
            HandWrittenClient.allocate(control, control.allocateBuffer(8192), jar, clientSide.address(), 7);
            // The worker connects only once the executor has its assignment: the weight is normal by then.
            Connection worker = clientSide.accept(Duration.ofSeconds(60));
            assertNotNull(worker, "the executor's worker did not connect");
            assertEquals(group, cpuGroup(sparePid), "the lease runs in the spare's own group");
            if (Files.exists(group.resolve("cpu.idle"))) {
                assertEquals("0", read(group, "cpu.idle"), "a leased executor's cpu.idle");
            }
            assertEquals("1024", read(group, "cpu.shares"), "a leased executor's cpu.shares");
            // One core's quota per period (the period was set when the spare's group was made).
            assertEquals("100000", read(group, "cpu.cfs_period_us"), "a leased executor's CFS period");
            assertEquals("100000", read(group, "cpu.cfs_quota_us"), "a leased executor's CFS quota (1 core)");
            // Leased cores are not diluted by other work on the host: the node's group weighs one
            // busy task per core it lends (2), rFaaS's one per CPU of the host.
            assertEquals("2048", read(group.getParent(), "cpu.shares"), "the manager's group's cpu.shares");
            assertEquals(Long.toString(1024L * Runtime.getRuntime().availableProcessors()),
                    read(group.getParent().getParent(), "cpu.shares"), "rfaas/'s cpu.shares");
            // Its replacement starts low again.
            Await.until(() -> !manager.spareExecutorPids().isEmpty(), "the replacement spare started");
            long replacement = manager.spareExecutorPids().getFirst();
            Await.until(() -> cpuGroup(replacement) != null && cpuGroup(replacement).toString().contains("/rfaas/"),
                    "the replacement joined its group");
            assertLowest(cpuGroup(replacement), "the replacement spare");
            worker.close();
        }
    }

    @Test
    void aSpareTakenWhileBootingBootsAtTheNormalWeight() throws Exception {
        manager = new ExecutorManager(ExecutorManagerConfig.of("n", List.of("tcp://127.0.0.1:0"), 2, 2048, dir)
                .withSpareExecutors(1).withSpareMemoryMiB(128).withSandbox(true), null);
        String address = manager.start().getFirst();
        tcp = Transports.open("tcp");
        byte[] jar = HandWrittenClient.packageJar(dir.resolve("f.jar"));
        // The allocation goes out as soon as the spare's JVM exists, long before it has booted
        // (bubblewrap and a JVM: hundreds of ms), so the lease takes it while it boots.
        Await.until(() -> !manager.spareExecutorPids().isEmpty(), "the spare started");
        long sparePid = manager.spareExecutorPids().getFirst();
        try (Listener clientSide = tcp.listen("tcp://127.0.0.1:0", new ConnectionSpec(3, org.rfaas.protocol.ReplyHeader.resultSlotSize(64), 0));
             Connection control = tcp.connect(address, new ConnectionSpec(2, 8192, 0), Duration.ofSeconds(10))) {
            boolean stillBooting = manager.connectedSpareCount() == 0;
            HandWrittenClient.allocate(control, control.allocateBuffer(8192), jar, clientSide.address(), 8);
            Await.until(() -> cpuGroup(sparePid) != null && cpuGroup(sparePid).toString().contains("/rfaas/"),
                    "the spare joined its group");
            Path group = cpuGroup(sparePid);
            if (stillBooting && Files.exists(group.resolve("cpu.idle"))) {
                assertEquals("0", read(group, "cpu.idle"), "a booting spare that a lease took still runs on idle cycles");
            }
            assertEquals("1024", read(group, "cpu.shares"), "the leased spare's cpu.shares");
            Connection worker = clientSide.accept(Duration.ofSeconds(60));
            assertNotNull(worker, "the executor's worker did not connect");
            worker.close();
        }
    }

    /** The directory of {@code pid}'s group in the cpu controller (v1), or {@code null} when it is gone. */
    private static Path cpuGroup(long pid) throws IOException {
        Path file = Path.of("/proc", Long.toString(pid), "cgroup");
        if (!Files.exists(file)) {
            return null;
        }
        for (String line : Files.readAllLines(file)) {
            String[] f = line.split(":", 3);
            if (f.length == 3 && List.of(f[1].split(",")).contains("cpu")) {
                return Path.of("/sys/fs/cgroup/cpu" + f[2]);
            }
        }
        assumeTrue(false, "no cgroup v1 cpu controller: this test reads v1's cpu.shares");
        return null;
    }

    /** cpu.idle where the kernel has it (cpu.shares then reads as the idle weight, 3), else cpu.shares 2. */
    private static void assertLowest(Path group, String who) throws IOException {
        if (Files.exists(group.resolve("cpu.idle"))) {
            assertEquals("1", read(group, "cpu.idle"), who + "'s cpu.idle");
        } else {
            assertEquals("2", read(group, "cpu.shares"), who + "'s cpu.shares");
        }
    }

    private static String read(Path group, String file) throws IOException {
        return Files.readString(group.resolve(file)).strip();
    }
}
