package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.ExecutorLostException;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.MemoryLimitExceededException;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.client.WaitMode;
import org.rfaas.executormanager.ExecutorManager;
import org.rfaas.executormanager.ExecutorManagerConfig;
import org.rfaas.protocol.LeaseAccounting;

/**
 * The hostile functions of {@link HostileFunctionSystemTest} in C ({@code hostile/hostile.c},
 * compiled with gcc), over tcp: no JVM between the function and the kernel, the same containment.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class NativeHostileFunctionSystemTest {
    static final List<String> FUNCTIONS = List.of("read_file", "signal_pid", "burn_threads", "join_threads",
            "fork_bomb", "native_alloc", "fill_disk");
    Path dir;
    Path work;
    ExecutorManager manager;
    RfaasClient client;
    Path library;

    @BeforeEach
    void start() throws Exception {
        dir = SystemTestSupport.tempDir("native-hostile");
        work = dir.resolve("work");
        Files.createDirectories(work);
        Files.writeString(work.resolve("cluster-secret"), "the-cluster-secret-0123456789");
        manager = new ExecutorManager(ExecutorManagerConfig.of("node0", List.of("tcp://127.0.0.1:0"), 4, 4096, work)
                .withSpareExecutors(0).withSpareMemoryMiB(0).withGracePeriodMillis(2000).withSandbox(true), null);
        String address = manager.start().getFirst();
        client = RfaasClient.builder().leaseSource(SystemTestSupport.database("node0", address, 4, 4096)).build();
        Path source = dir.resolve("hostile.c");
        try (InputStream in = getClass().getResourceAsStream("/hostile/hostile.c")) {
            Files.copy(in, source);
        }
        library = dir.resolve("libhostile.so");
        Process gcc = new ProcessBuilder("gcc", "-O2", "-shared", "-fPIC", "-pthread", "-o", library.toString(),
                source.toString()).redirectErrorStream(true).start();
        String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, gcc.waitFor(), output);
    }

    @AfterEach
    void stop() {
        try {
            client.close();
        } finally {
            manager.close();
            SystemTestSupport.deleteTree(dir);
        }
    }

    private RemoteExecutor lease() {
        return client.allocate(AllocationSpec.of(1, 128, HotTimeout.ALWAYS_WARM,
                FunctionPackage.nativeLibrary(library, FUNCTIONS), 256, 256));
    }

    private static String call(RemoteExecutor e, String function, String input) {
        return new String(e.invoke(function, input.getBytes(StandardCharsets.UTF_8), WaitMode.WARM),
                StandardCharsets.UTF_8);
    }

    @Test
    void nativeCodeIsConfinedLikeJava() throws Exception {
        Process victim = new ProcessBuilder("sleep", "60").start();
        try {
            RemoteExecutor other = lease();
            RemoteExecutor hostile = lease();
            List<Path> files;
            try (var walk = Files.walk(work)) {
                files = walk.filter(Files::isRegularFile).toList();
            }
            for (Path f : files) {
                assertEquals("DENIED:2", call(hostile, "read_file", f.toString()), f.toString());
            }
            long executorPid = manager.activeLeases().stream().filter(l -> l.claims().leaseId() == other.leaseId())
                    .findFirst().orElseThrow().executorPid();
            for (long pid : List.of(victim.pid(), ProcessHandle.current().pid(), executorPid)) {
                assertEquals("ptrace=-1 kill=-1", call(hostile, "signal_pid", Long.toString(pid)), "pid " + pid);
            }
            assertTrue(victim.isAlive());
            String tmp = call(hostile, "fill_disk", "/tmp");
            assertTrue(tmp.startsWith("STOPPED:") && Integer.parseInt(tmp.split(":")[1]) <= 64
                    && tmp.endsWith(":28"), "ENOSPC within 64 MiB: " + tmp);
            for (String readOnly : List.of("/", "/rfaas", "/usr", "/dev")) {
                assertTrue(call(hostile, "fill_disk", readOnly).startsWith("STOPPED:0:"), readOnly);
            }
            long hostilePid = manager.activeLeases().stream().filter(l -> l.claims().leaseId() == hostile.leaseId())
                    .findFirst().orElseThrow().executorPid();
            Path pids = HostileFunctionSystemTest.cgroupDir("pids", hostilePid);
            // Forked copies of a JVM cost page tables, charged to the executor: the pids limit (512
            // tasks) or the memory limit stops the bomb first; either way only this executor pays.
            try {
                String bomb = call(hostile, "fork_bomb", "");
                int forked = Integer.parseInt(bomb.substring(7, bomb.indexOf(' ')));
                assertTrue(forked < 512 && bomb.endsWith("errno=11"), "stopped by the pids limit: " + bomb);
            } catch (ExecutorLostException ended) {
                // Ended by its memory limit (the next call would say MemoryLimitExceededException).
            }
            assertEquals("READ", call(other, "read_file", "/proc/self/stat"));
            hostile.close();
            other.release();
            long deadline = System.nanoTime() + 15_000_000_000L;
            while (Files.exists(pids) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(Files.notExists(pids), "the bomb's cgroup removed, its processes killed");
        } finally {
            victim.destroyForcibly();
        }
    }

    @Test
    void nativeThreadsAreBilledAndNativeMemoryEndsOnlyThatExecutor() throws Exception {
        RemoteExecutor idle = lease();
        call(idle, "burn_threads", "1 200");
        long idleBurned = Long.parseLong(call(idle, "join_threads", ""));
        long overhead = Math.max(0, idle.release().computeNanos() - idleBurned);

        RemoteExecutor hostile = lease();
        assertEquals("started", call(hostile, "burn_threads", "2 1000"));
        long burned = Long.parseLong(call(hostile, "join_threads", ""));
        LeaseAccounting bill = hostile.release();
        assertTrue(bill.computeNanos() >= burned && bill.computeNanos() <= burned + burned / 10 + overhead,
                "pthreads burned " + burned / 1_000_000 + " ms, idle executor " + overhead / 1_000_000 + " ms; " + bill);

        RemoteExecutor bystander = lease();
        RemoteExecutor greedy = lease();
        assertThrows(ExecutorLostException.class, () -> call(greedy, "native_alloc", "2048"));
        long deadline = System.nanoTime() + 15_000_000_000L;
        boolean typed = false;
        while (!typed && System.nanoTime() < deadline) {
            try {
                call(greedy, "read_file", "/");
            } catch (MemoryLimitExceededException e) {
                typed = true;
            } catch (ExecutorLostException e) {
                Thread.sleep(50);
            }
        }
        assertTrue(typed, "calls fail with MemoryLimitExceededException");
        assertEquals("READ", call(bystander, "read_file", "/proc/self/stat"));
        greedy.close();
        bystander.release();
    }

}
