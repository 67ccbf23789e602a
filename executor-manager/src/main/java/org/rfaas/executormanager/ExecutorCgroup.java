package org.rfaas.executormanager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control group of one executor: its memory limit (heap, native and direct memory, and the
 * files it writes to its tmpfs scratch, all charged to it), its CPU set (the leased cores), CPU
 * quota and pids limit, and the CPU time it used, read by the manager where user code cannot
 * reach it. Cgroup v1 (one hierarchy per controller, as on this project's machines) and v2 (one
 * unified hierarchy) are both handled; {@link CgroupHost} finds which one the host has.
 *
 * <p>Threads: created and configured on the launching thread, read from any; every method is a
 * few small file reads or writes.
 */
final class ExecutorCgroup {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorCgroup.class);
    /** CFS period; the quota is the leased cores times this. */
    private static final long PERIOD_MICROS = 100_000;
    /** cgroup v1 cpu.shares: the kernel's minimum. */
    private static final long MIN_SHARES = 2;

    private final CgroupHost host;
    /** One directory per controller (v1), or the one unified directory (v2). */
    private final Path memory;
    private final Path cpu;
    private final Path cpuacct;
    private final Path cpuset;
    private final Path pids;
    private volatile boolean destroyed;
    /** Cores of the lease ({@link #leaseCores}), which {@link #foreground} weighs the group for. */
    private volatile int leasedCores = 1;

    private ExecutorCgroup(CgroupHost host, String name) {
        this.host = host;
        this.memory = host.groupDir("memory", name);
        this.cpu = host.groupDir("cpu", name);
        this.cpuacct = host.groupDir("cpuacct", name);
        this.cpuset = host.groupDir("cpuset", name);
        this.pids = host.groupDir("pids", name);
    }

    /**
     * Creates the group {@code name} under the manager's own group, with a memory limit of
     * {@code memoryBytes} (no swap), at most {@code maxPids} tasks, and for now every CPU of the
     * host (a spare boots before it knows its lease; {@link #leaseCores} narrows it).
     */
    static ExecutorCgroup create(CgroupHost host, String name, long memoryBytes, int maxPids) {
        ExecutorCgroup g = new ExecutorCgroup(host, name);
        try {
            for (Path dir : g.directories()) {
                host.makeGroup(dir);
            }
            if (host.v2()) {
                write(g.memory.resolve("memory.max"), Long.toString(memoryBytes));
                host.writeIfPresent(g.memory.resolve("memory.swap.max"), "0");
                write(g.pids.resolve("pids.max"), Integer.toString(maxPids));
            } else {
                write(g.memory.resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
                // Without swap accounting the file is absent; the limit alone then holds RAM.
                host.writeIfPresent(g.memory.resolve("memory.memsw.limit_in_bytes"), Long.toString(memoryBytes));
                write(g.pids.resolve("pids.max"), Integer.toString(maxPids));
                // The period now (no quota yet, so no limit): a lease then writes only its quota.
                write(g.cpu.resolve("cpu.cfs_period_us"), Long.toString(PERIOD_MICROS));
            }
        } catch (IOException | UncheckedIOException e) {
            g.destroy();
            throw new UncheckedIOException("cannot set up the executor's cgroup " + name + ": " + e.getMessage(),
                    e instanceof IOException io ? io : ((UncheckedIOException) e).getCause());
        }
        return g;
    }

    /** The files a process writes its pid to, to join every controller of this group. */
    List<Path> procsFiles() {
        List<Path> files = new ArrayList<>();
        for (Path dir : directories()) {
            files.add(dir.resolve("cgroup.procs"));
        }
        return files;
    }

    /** Confines the group to {@code cpus} (host CPU numbers) with a quota of as many cores. */
    void leaseCores(int[] cpus) throws IOException {
        StringBuilder list = new StringBuilder();
        for (int c : cpus) {
            list.append(list.isEmpty() ? "" : ",").append(c);
        }
        write(cpuset.resolve("cpuset.cpus"), list.toString());
        leasedCores = cpus.length;
        long quota = PERIOD_MICROS * cpus.length;
        if (host.v2()) {
            write(cpu.resolve("cpu.max"), quota + " " + PERIOD_MICROS);
        } else {
            write(cpu.resolve("cpu.cfs_quota_us"), Long.toString(quota)); // the period was set at create
        }
    }

    /**
     * Lowest CPU weight for a spare while it boots and waits: it runs on idle cycles only, and
     * never takes a time slice from a leased worker or its client spinning on the same cores (a
     * spare's JVM boot and warm-up are 1-2 s of CPU, started just after a lease began). cpu.idle,
     * where the kernel has it (5.15+), also lets any normal task preempt it at once.
     */
    void background() throws IOException {
        // The kernel refuses a weight while the group is idle: weight first, then idle.
        if (host.v2()) {
            write(cpu.resolve("cpu.weight"), "1");
        } else {
            write(cpu.resolve("cpu.shares"), Long.toString(MIN_SHARES));
        }
        host.writeCpuIdle(cpu, true);
    }

    /**
     * The normal CPU weight again, one task's per leased core (one before {@link #leaseCores}): the
     * spare took a lease, whose calls must not wait for CPU.
     */
    void foreground() throws IOException {
        host.writeCpuIdle(cpu, false);
        host.setWeight(cpu, leasedCores);
    }

    /** CPU time used by every task ever in the group, in nanoseconds (threads and children too). */
    long cpuNanos() {
        try {
            if (host.v2()) {
                for (String line : Files.readAllLines(cpuacct.resolve("cpu.stat"))) {
                    if (line.startsWith("usage_usec ")) {
                        return Long.parseLong(line.substring(11).strip()) * 1000;
                    }
                }
                return 0;
            }
            return Long.parseLong(Files.readString(cpuacct.resolve("cpuacct.usage")).strip());
        } catch (IOException | NumberFormatException e) {
            LOG.debug("cgroup {}: cannot read CPU time: {}", cpuacct, e.toString());
            return -1;
        }
    }

    /** Whether the kernel killed a task of the group for going over its memory limit. */
    boolean memoryLimitHit() {
        Path events = memory.resolve(host.v2() ? "memory.events" : "memory.oom_control");
        try {
            for (String line : Files.readAllLines(events)) {
                if (line.startsWith("oom_kill ")) {
                    return Long.parseLong(line.substring(9).strip()) > 0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            LOG.debug("cgroup {}: cannot read OOM events: {}", memory, e.toString());
        }
        return false;
    }

    /** The memory limit, bytes. */
    long memoryLimitBytes() {
        try {
            String v = Files.readString(memory.resolve(host.v2() ? "memory.max" : "memory.limit_in_bytes")).strip();
            return v.equals("max") ? Long.MAX_VALUE : Long.parseLong(v);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Kills whatever is left in the group (children a function forked and left behind) and removes
     * it; idempotent. The executor's own JVM has exited by now, or is killed here too.
     */
    void destroy() {
        if (destroyed) {
            return;
        }
        destroyed = true;
        if (host.v2()) {
            try {
                host.writeIfPresent(memory.resolve("cgroup.kill"), "1"); // every task, atomically
            } catch (IOException e) {
                LOG.debug("cgroup {}: cgroup.kill: {}", memory, e.toString());
            }
        }
        // v1 has no atomic kill: a task may fork while the others are killed, so kill until empty.
        for (int attempt = 0; attempt < 300; attempt++) {
            for (Path dir : directories()) {
                killTasks(dir);
            }
            boolean removed = true;
            for (Path dir : directories()) {
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    removed = false;
                }
            }
            if (removed) {
                return;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        LOG.warn("cannot remove the executor cgroup {}", memory);
    }

    /** Process ids of the group's tasks (host pids), those of the memory controller's group. */
    List<Long> pids() {
        List<Long> out = new ArrayList<>();
        try {
            for (String pid : Files.readAllLines(memory.resolve("cgroup.procs"))) {
                if (!pid.isBlank()) {
                    out.add(Long.parseLong(pid.strip()));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Gone already.
        }
        return out;
    }

    private static void killTasks(Path dir) {
        try {
            for (String pid : Files.readAllLines(dir.resolve("cgroup.procs"))) {
                if (!pid.isBlank()) {
                    ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Gone already.
        }
    }

    private List<Path> directories() {
        return host.v2() ? List.of(memory) : List.of(memory, cpu, cpuacct, cpuset, pids).stream().distinct().toList();
    }

    static void write(Path file, String value) throws IOException {
        Files.writeString(file, value, StandardCharsets.US_ASCII);
    }
}
