package org.rfaas.executormanager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The host's control groups as the manager uses them: v2 (one unified hierarchy at
 * /sys/fs/cgroup) or v1 (the memory, cpu, cpuacct, cpuset and pids controllers each mounted on
 * its own hierarchy, or some together). Each manager gets a group of its own, {@code rfaas/<node>.<pid>},
 * and every executor one below it.
 *
 * <p>CPU weight: a group competes with its siblings as one task of its weight, however many
 * threads it holds. At the default weight the node's every leased core together would weigh as
 * much as one busy thread outside rFaaS (a daemon, a stray job), and an executor's heartbeat thread
 * could wait past its peers' liveness timeout. So {@code rfaas/} weighs one task per CPU of the
 * host, a manager's group one per core it lends, and a lease's group one per leased core
 * ({@link ExecutorCgroup#foreground}); the CFS quota still holds each lease to its cores.
 */
final class CgroupHost {
    static final List<String> CONTROLLERS = List.of("memory", "cpu", "cpuacct", "cpuset", "pids");
    private final boolean v2;
    /** Whether executor groups have {@code cpu.idle}; null until the first group's was looked for. */
    private volatile Boolean cpuIdlePresent;
    /** Mount point per controller (v1), or the unified mount under every name (v2). */
    private final Map<String, Path> mounts;
    /** The manager's group, relative to each mount. */
    private final String base;

    private CgroupHost(boolean v2, Map<String, Path> mounts, String base) {
        this.v2 = v2;
        this.mounts = mounts;
        this.base = base;
    }

    /**
     * Finds the controllers and makes the manager's group in each; {@code null} with the reason
     * in {@code why[0]} when the host lacks one or they are not writable.
     */
    static CgroupHost probe(String node, int cores, String[] why) {
        String base = "rfaas/" + node.replaceAll("[^A-Za-z0-9_.-]", "_") + "." + ProcessHandle.current().pid();
        Map<String, Path> mounts = new HashMap<>();
        Path unified = Path.of("/sys/fs/cgroup");
        boolean v2 = false;
        try {
            if (Files.isRegularFile(unified.resolve("cgroup.controllers"))) {
                String have = Files.readString(unified.resolve("cgroup.controllers"));
                for (String c : List.of("memory", "cpu", "cpuset", "pids")) {
                    if (!List.of(have.strip().split("\\s+")).contains(c)) {
                        why[0] = "cgroup v2 controller '" + c + "' is not available";
                        return null;
                    }
                }
                v2 = true;
                for (String c : CONTROLLERS) {
                    mounts.put(c, unified);
                }
            } else {
                for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                    String[] f = line.split(" ");
                    if (f.length < 4 || !f[2].equals("cgroup")) {
                        continue;
                    }
                    for (String option : f[3].split(",")) {
                        if (CONTROLLERS.contains(option)) {
                            mounts.put(option, Path.of(f[1]));
                        }
                    }
                }
                for (String c : CONTROLLERS) {
                    if (!mounts.containsKey(c)) {
                        why[0] = "cgroup v1 controller '" + c + "' is not mounted";
                        return null;
                    }
                }
            }
            CgroupHost host = new CgroupHost(v2, mounts, base);
            host.removeStaleGroups();
            host.makeManagerGroup(cores);
            return host;
        } catch (IOException | RuntimeException e) {
            why[0] = "cgroups are not writable (" + e.getMessage() + ")";
            return null;
        }
    }

    boolean v2() {
        return v2;
    }

    /** The directory of executor group {@code name} in {@code controller}'s hierarchy. */
    Path groupDir(String controller, String name) {
        return mounts.get(controller).resolve(base).resolve(name);
    }

    /** Creates a group directory; on v1 a new cpuset starts with its parent's CPUs and memory nodes. */
    void makeGroup(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Files.createDirectory(dir);
        inheritCpuset(dir);
    }

    private void makeManagerGroup(int cores) throws IOException {
        for (Path mount : new LinkedHashSet<>(mounts.values())) {
            Path dir = mount;
            for (String part : base.split("/")) {
                if (v2) {
                    // Controllers must be enabled for the children of every level.
                    ExecutorCgroup.write(dir.resolve("cgroup.subtree_control"), "+memory +cpu +cpuset +pids");
                }
                dir = dir.resolve(part);
                if (!Files.isDirectory(dir)) {
                    Files.createDirectory(dir);
                }
                inheritCpuset(dir);
            }
            if (v2) {
                ExecutorCgroup.write(dir.resolve("cgroup.subtree_control"), "+memory +cpu +cpuset +pids");
            }
        }
        Path managerGroup = mounts.get("cpu").resolve(base);
        setWeight(managerGroup.getParent(), Runtime.getRuntime().availableProcessors());
        setWeight(managerGroup, cores);
    }

    /** The CPU weight of {@code tasks} busy tasks at the normal priority (capped at the kernel's maximum). */
    void setWeight(Path cpuGroup, int tasks) throws IOException {
        int n = Math.max(1, tasks);
        if (v2) {
            ExecutorCgroup.write(cpuGroup.resolve("cpu.weight"), Long.toString(Math.min(10_000L, 100L * n)));
        } else {
            ExecutorCgroup.write(cpuGroup.resolve("cpu.shares"), Long.toString(Math.min(262_144L, 1024L * n)));
        }
    }

    /** v1 cpusets start empty (no task may join) unless they copy their parent's. */
    private void inheritCpuset(Path dir) throws IOException {
        if (v2 || !dir.startsWith(mounts.get("cpuset"))) {
            return;
        }
        for (String file : List.of("cpuset.cpus", "cpuset.mems")) {
            Path mine = dir.resolve(file);
            if (Files.readString(mine).isBlank()) {
                ExecutorCgroup.write(mine, Files.readString(dir.getParent().resolve(file)).strip());
            }
        }
    }

    /** Writes a control file that only some kernels have (swap limits, for one). */
    void writeIfPresent(Path file, String value) throws IOException {
        if (Files.exists(file)) {
            ExecutorCgroup.write(file, value);
        }
    }

    /**
     * Writes {@code cpu.idle} of {@code cpuGroup} where the kernel has it (v2, 5.15+). Whether it
     * has is looked up once: a spare's lease sets it on the allocation's critical path.
     */
    void writeCpuIdle(Path cpuGroup, boolean idle) throws IOException {
        Path file = cpuGroup.resolve("cpu.idle");
        Boolean present = cpuIdlePresent;
        if (present == null) {
            present = Files.exists(file);
            cpuIdlePresent = present;
        }
        if (present) {
            ExecutorCgroup.write(file, idle ? "1" : "0");
        }
    }

    /**
     * Removes the groups that managers which died without closing (SIGKILL, a crash) left under
     * {@code rfaas/}: those named {@code <node>.<pid>} whose pid no longer runs, with their empty
     * executor groups. A group that still has a task (an executor that outlived its manager) stays.
     */
    void removeStaleGroups() {
        for (Path mount : new LinkedHashSet<>(mounts.values())) {
            Path root = mount.resolve("rfaas");
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (var groups = Files.list(root)) {
                for (Path group : groups.filter(Files::isDirectory).toList()) {
                    if (ownerGone(group.getFileName().toString())) {
                        removeEmptyTree(group);
                    }
                }
            } catch (IOException e) {
                // Only housekeeping: a group left now is tried again at the next start.
            }
        }
    }

    /** Whether a manager group's name ends in the pid of a process that is gone. */
    static boolean ownerGone(String groupName) {
        int dot = groupName.lastIndexOf('.');
        if (dot < 0 || dot == groupName.length() - 1) {
            return false;
        }
        long pid;
        try {
            pid = Long.parseLong(groupName.substring(dot + 1));
        } catch (NumberFormatException e) {
            return false;
        }
        return pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).isEmpty();
    }

    /** rmdir bottom-up; a group with a task refuses (EBUSY), and so then does its parent. */
    private static void removeEmptyTree(Path group) {
        try (var children = Files.list(group)) {
            for (Path child : children.filter(Files::isDirectory).toList()) {
                removeEmptyTree(child);
            }
        } catch (IOException e) {
            return;
        }
        try {
            Files.deleteIfExists(group);
        } catch (IOException e) {
            // still in use
        }
    }

    /** Removes the manager's group (empty once every executor's is gone). */
    void close() {
        for (Path mount : new LinkedHashSet<>(mounts.values())) {
            try {
                Files.deleteIfExists(mount.resolve(base));
            } catch (IOException e) {
                // An executor group is still there; the next manager run on this node leaves it too.
            }
        }
    }
}
