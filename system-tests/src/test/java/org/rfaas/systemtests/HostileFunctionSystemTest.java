package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
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
import org.rfaas.executormanager.LeaseRecord;
import org.rfaas.protocol.LeaseAccounting;
import org.rfaas.systemtests.hostile.HostileFunctions;

/**
 * Hostile functions ({@link HostileFunctions}) in real executors in the sandbox (required here,
 * not just where supported), over shm, whose shared mappings are the most a function can reach:
 * each way out of the lease is refused or contained, the manager and the other leases carry on,
 * and the bill is the CPU the executor really used.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HostileFunctionSystemTest {
    Path dir;
    Path work;
    ExecutorManager manager;
    RfaasClient client;
    Path jar;

    @BeforeEach
    void start() throws Exception {
        dir = SystemTestSupport.tempDir("hostile");
        work = dir.resolve("work");
        Files.createDirectories(work);
        // What a deployment keeps beside the executors: its config and secret (owner-only).
        Files.writeString(work.resolve("manager.json"), "{\"clusterSecret\": \"the-cluster-secret-0123456789\"}");
        Files.writeString(work.resolve("cluster-secret"), "the-cluster-secret-0123456789");
        manager = new ExecutorManager(ExecutorManagerConfig.of("node0", List.of("shm:" + dir.resolve("m.sock")), 4,
                4096, work).withSpareExecutors(0).withSpareMemoryMiB(0).withGracePeriodMillis(2000).withSandbox(true),
                null);
        String address = manager.start().getFirst();
        client = RfaasClient.builder().leaseSource(SystemTestSupport.database("node0", address, 4, 4096)).build();
        jar = HostileFunctions.writeJar(dir.resolve("hostile.jar"));
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

    private RemoteExecutor lease(int cores, long memoryMiB) {
        return client.allocate(AllocationSpec.of(cores, memoryMiB, HotTimeout.ALWAYS_WARM, FunctionPackage.jar(jar),
                256, 256));
    }

    private static String call(RemoteExecutor e, String function, String input) {
        return new String(e.invoke(function, input.getBytes(StandardCharsets.UTF_8), WaitMode.WARM),
                StandardCharsets.UTF_8);
    }

    private LeaseRecord record(RemoteExecutor e) {
        return manager.activeLeases().stream().filter(l -> l.claims().leaseId() == e.leaseId()).findFirst()
                .orElseThrow();
    }

    @Test
    void aFunctionSeesNeitherTheManagersFilesNorAnotherLeasesNorTheHost() throws Exception {
        RemoteExecutor other = lease(1, 128);
        RemoteExecutor hostile = lease(1, 128);
        assertTrue(call(other, "read", "/proc/self/cmdline").startsWith("READ:"));
        List<Path> files;
        try (var walk = Files.walk(work)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertTrue(files.stream().anyMatch(f -> f.toString().endsWith(".jar") && f.startsWith(work)),
                "the other lease's package is in the work directory: " + files);
        for (Path f : files) {
            String got = call(hostile, "read", f.toString());
            assertTrue(got.startsWith("DENIED:"), f + ": " + got);
        }
        long managerPid = ProcessHandle.current().pid();
        for (String f : List.of("/proc/" + managerPid + "/environ", "/proc/" + managerPid + "/cmdline",
                "/etc/shadow", Path.of(System.getProperty("user.home"), ".m2", "settings.xml").toString(),
                "/proc/" + record(other).executorPid() + "/environ")) {
            String got = call(hostile, "read", f);
            assertTrue(got.startsWith("DENIED:"), f + ": " + got);
        }
        // Its own package is there, under /rfaas, and nothing else of the host is.
        String own = call(hostile, "read", "/proc/self/mountinfo");
        assertTrue(own.startsWith("READ:"), own);
        other.release();
        hostile.release();
    }

    @Test
    void aFunctionCannotSignalOrTraceAnotherProcess() throws Exception {
        Process victim = new ProcessBuilder("sleep", "60").start();
        try {
            RemoteExecutor other = lease(1, 128);
            RemoteExecutor hostile = lease(1, 128);
            for (long pid : List.of(victim.pid(), ProcessHandle.current().pid(), record(other).executorPid())) {
                String got = call(hostile, "signal", Long.toString(pid));
                assertTrue(got.startsWith("visible=false ptrace=-1 kill=-1"), pid + ": " + got);
            }
            String all = call(hostile, "signal", "999999");
            int seen = Integer.parseInt(all.substring(all.indexOf("processes=") + 10).trim());
            assertTrue(seen <= 3, "processes visible in the sandbox: " + all);
            assertTrue(victim.isAlive());
            assertEquals("READ:", call(other, "read", "/proc/self/cmdline").substring(0, 5));
            other.release();
            hostile.release();
        } finally {
            victim.destroyForcibly();
        }
    }

    @Test
    void cpuBurnedByTheFunctionsOwnThreadsIsBilledAndForgedCountersChangeNothing() {
        // What an executor costs besides its function: the JVM's own work after the assignment.
        // (Its spin loop is compiled there too, as it will be in the threads below.)
        RemoteExecutor idle = lease(1, 128);
        long idleBurned = Long.parseLong(call(idle, "burn", "200"));
        long overhead = Math.max(0, idle.release().computeNanos() - idleBurned);

        // Threads the function starts and returns from, after which it zeroes the counters it
        // shares with the manager: the bill is the CPU they burned all the same.
        RemoteExecutor hostile = lease(1, 128);
        assertEquals("started", call(hostile, "burn-threads", "2 1000"));
        long burned = Long.parseLong(call(hostile, "join-threads", ""));
        assertEquals("forged=2", call(hostile, "forge", "zero"), "the function reached the shared counters");
        LeaseAccounting bill = hostile.release();
        assertTrue(bill.computeNanos() >= burned && bill.computeNanos() <= burned + burned / 10 + overhead,
                "threads burned " + burned / 1_000_000 + " ms, an idle executor costs " + overhead / 1_000_000
                        + " ms; billed " + bill);

        RemoteExecutor overflow = lease(1, 128);
        call(overflow, "burn", "200");
        assertEquals("forged=2", call(overflow, "forge", "max"));
        LeaseAccounting capped = overflow.release();
        assertTrue(capped.computeNanos() <= capped.allocationNanos() && capped.hotPollNanos() <= capped.allocationNanos(),
                "a forged counter bills no more than the lease's cores could: " + capped);
        assertTrue(capped.computeNanos() >= 200_000_000L, capped.toString());
    }

    @Test
    void aForkBombStaysInsideItsLease() throws Exception {
        RemoteExecutor bystander = lease(1, 128);
        RemoteExecutor hostile = lease(1, 128);
        Path pids = cgroupDir("pids", record(hostile).executorPid());
        assertEquals("forking", call(hostile, "fork-bomb", ""));
        Thread.sleep(2_000);
        long tasks = Long.parseLong(Files.readString(pids.resolve("pids.current")).strip());
        assertTrue(tasks <= 512, "tasks in the executor's cgroup: " + tasks);
        assertEquals("READ:", call(bystander, "read", "/proc/self/cmdline").substring(0, 5));
        // The bomb's processes by identity (pid and start time): another process on the machine
        // may run "sleep 300" too, and a pid may be reused once the bomb's is gone.
        List<ProcessHandle> bomb = Files.readAllLines(pids.resolve("cgroup.procs")).stream()
                .filter(line -> !line.isBlank()).map(line -> ProcessHandle.of(Long.parseLong(line.strip())))
                .flatMap(Optional::stream).toList();
        assertTrue(bomb.size() > 100, "the bomb's processes: " + bomb.size());
        hostile.close();
        waitFor(() -> !Files.exists(pids), "the executor's cgroup removed, its processes killed");
        // The manager removes the group of each v1 controller in turn, killing until all are
        // empty: the pids group can be gone while a SIGKILLed task is still exiting in another.
        try {
            waitFor(() -> survivors(bomb).isEmpty(), "no process of the bomb left");
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; left: " + survivors(bomb).stream().map(HostileFunctionSystemTest::describe).toList(), e);
        }
        assertEquals("READ:", call(bystander, "read", "/proc/self/cmdline").substring(0, 5));
        bystander.release();
    }

    @Test
    void nativeMemoryPastTheLeaseEndsThatExecutorWithATypedErrorAndTheBillKept() throws Exception {
        RemoteExecutor bystander = lease(1, 128);
        RemoteExecutor hostile = lease(1, 128);
        long id = hostile.leaseId();
        call(hostile, "burn", "300");
        ExecutorLostException lost = assertThrows(ExecutorLostException.class,
                () -> call(hostile, "native-alloc", "2048"));
        // The call itself may see the connection end first; the manager's reason follows at once.
        waitFor(() -> {
            try {
                call(hostile, "read", "/");
                return false;
            } catch (MemoryLimitExceededException e) {
                return true;
            } catch (ExecutorLostException e) {
                return false;
            }
        }, "calls fail with MemoryLimitExceededException, first " + lost);
        waitFor(() -> manager.endedLeaseAccounting(id) != null, "lease ended");
        LeaseAccounting bill = manager.endedLeaseAccounting(id);
        assertNotNull(bill);
        assertTrue(bill.computeNanos() >= 300_000_000L && bill.invocations() >= 1, bill.toString());
        assertEquals("READ:", call(bystander, "read", "/proc/self/cmdline").substring(0, 5));
        hostile.close();
        bystander.release();
    }

    @Test
    void aFunctionFillsOnlyItsOwnBoundedScratch() {
        RemoteExecutor hostile = lease(1, 128);
        String tmp = call(hostile, "fill-disk", "/tmp");
        assertTrue(tmp.startsWith("STOPPED:") && Integer.parseInt(tmp.split(":")[1]) <= 64, tmp);
        for (String readOnly : List.of("/rfaas", "/usr", "/dev", "/", "/run/rfaas")) {
            String got = call(hostile, "fill-disk", readOnly);
            assertTrue(got.startsWith("STOPPED:0:"), readOnly + ": " + got);
        }
        // The scratch is free again for the function's honest use, and the executor serves on.
        assertTrue(call(hostile, "fill-disk", "/tmp").startsWith("STOPPED:"));
        hostile.release();
    }

    /** The directory of the executor's cgroup in {@code controller}'s v1 hierarchy. */
    static Path cgroupDir(String controller, long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
            String[] f = line.split(":", 3);
            if (List.of(f[1].split(",")).contains(controller)) {
                return Path.of("/sys/fs/cgroup", controller).resolve(f[2].substring(1));
            }
            if (f[1].isEmpty() && Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"))) {
                return Path.of("/sys/fs/cgroup").resolve(f[2].substring(1));
            }
        }
        throw new IOException("no " + controller + " cgroup for pid " + pid);
    }

    /** Those of {@code processes} still running: a zombie has no command line any more. */
    private static List<ProcessHandle> survivors(List<ProcessHandle> processes) {
        return processes.stream().filter(p -> p.isAlive() && p.info().commandLine().isPresent()).toList();
    }

    /** State, parent, namespaced pids and cgroups of a process, for a failure message. */
    private static String describe(ProcessHandle p) {
        StringBuilder out = new StringBuilder("pid " + p.pid());
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
                if (line.startsWith("State:") || line.startsWith("PPid:") || line.startsWith("NSpid:")) {
                    out.append(", ").append(line.replace('\t', ' '));
                }
            }
            out.append(", cgroups ").append(String.join(" ", Files.readAllLines(Path.of("/proc/" + p.pid() + "/cgroup"))));
        } catch (IOException e) {
            out.append(" (gone: ").append(e.getMessage()).append(')');
        }
        return out.toString();
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting: " + what);
            }
            Thread.sleep(50);
        }
    }
}
