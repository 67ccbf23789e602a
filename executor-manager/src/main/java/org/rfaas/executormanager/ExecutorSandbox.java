package org.rfaas.executormanager;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.rfaas.executor.ExecutorMain;
import org.rfaas.protocol.ExecutorAssignment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandbox every executor runs in when the host supports it: bubblewrap gives it new user,
 * mount, PID, IPC and UTS namespaces (the network is shared: it connects to its client), running
 * as {@code nobody} without capabilities, with a file system of only the runtime (/usr, the JDK,
 * its class path and class-data archives, read-only), a size-bounded tmpfs as its scratch
 * directory and working directory, /dev/shm for the shm transport, and a read-only directory of
 * its own ({@code /rfaas}) where the manager places its lease's package and the client's socket
 * once it is assigned (and, for a spare, the node's most recent package to preload). It cannot see the manager's config, work directory or secrets, other
 * leases' packages, or any process but its own. Its {@link ExecutorCgroup} bounds its memory,
 * CPUs and tasks, and measures its CPU time for the bill.
 *
 * <p>Spares start in the sandbox before their lease exists: what a lease brings (package, client
 * socket, cores) is put in place at assignment, through the shared {@code /rfaas} directory and
 * the cgroup, without restarting anything.
 */
final class ExecutorSandbox implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorSandbox.class);
    /** Where the executor's own directory appears inside. */
    static final String INSIDE_DIR = "/rfaas";
    /** Where the manager's shm socket appears inside. */
    static final String INSIDE_MANAGER_SOCKET = "/run/rfaas/manager.sock";
    /**
     * Memory the JVM itself needs beyond the heap (metaspace, code cache, thread stacks, GC
     * structures, mapped class data), on top of the lease's memory: the cgroup limit is the lease's
     * memory plus this, so heap, direct and native allocations together stay within the lease.
     */
    static final long RUNTIME_ALLOWANCE_MIB = 160;
    /** Scratch space (tmpfs, charged to the executor's memory too). */
    static final long SCRATCH_MIB = 64;
    /** Tasks (threads and processes) per executor: the JVM's own need some 30. */
    static final int MAX_TASKS = 512;
    private static final List<String> ETC_FILES = List.of("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/hosts",
            "/etc/host.conf", "/etc/nsswitch.conf", "/etc/resolv.conf", "/etc/gai.conf", "/etc/localtime",
            "/etc/passwd", "/etc/group", "/etc/libibverbs.d", "/etc/alternatives");
    /** Joins the cgroups named before {@code --}, then becomes the command after it. */
    private static final String JOIN = "for f; do shift; [ \"$f\" = -- ] && break; echo $$ > \"$f\" || exit 125; done; "
            + "exec \"$@\"";

    /** Opens the seccomp filter as descriptor 3 (bubblewrap's {@code --seccomp 3}), then does {@link #JOIN}. */
    private static final String JOIN_WITH_FILTER = "exec 3<\"$1\" || exit 125; shift; " + JOIN;

    private final Path bwrap;
    /** The seccomp program's file, or {@code null} where there is none for this architecture. */
    private final Path seccomp;
    private final CgroupHost cgroups;
    private final Path root;
    private final CoreMap cores;
    /**
     * The one thread that starts sandboxes. bubblewrap's {@code --die-with-parent} ends a sandbox
     * when the thread that started it ends (the kernel's parent-death signal is per thread), so
     * they are all started by this thread, which lives as long as the manager: a manager that dies
     * takes its executors with it, and a connection thread that ends takes none.
     */
    private final ExecutorService spawner = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("rfaas-em-spawn").factory());

    private ExecutorSandbox(Path bwrap, Path seccomp, CgroupHost cgroups, Path root, CoreMap cores) {
        this.bwrap = bwrap;
        this.seccomp = seccomp;
        this.cgroups = cgroups;
        this.root = root;
        this.cores = cores;
    }

    /**
     * The sandbox, or {@code null} when it is off: by config, or because the host lacks bubblewrap
     * or writable cgroups (then a line says so, or, when the config demands the sandbox, the
     * manager refuses to start).
     */
    static ExecutorSandbox open(ExecutorManagerConfig config) {
        if (Boolean.FALSE.equals(config.sandbox())) {
            LOG.warn("executor sandbox off (\"sandbox\": false): executors run as this user, see this file system "
                    + "and bill their own time");
            return null;
        }
        String why = findBwrap() == null ? "bubblewrap (bwrap) is not installed" : null;
        CgroupHost host = null;
        if (why == null) {
            String[] reason = new String[1];
            host = CgroupHost.probe(config.node(), config.cores(), reason);
            why = reason[0];
        }
        if (why != null) {
            if (Boolean.TRUE.equals(config.sandbox())) {
                throw new IllegalStateException("the config asks for the executor sandbox, but " + why);
            }
            LOG.warn("executor sandbox off: {}; executors run unconfined (install bubblewrap and give the manager "
                    + "writable cgroups, or set \"sandbox\": false to silence this)", why);
            return null;
        }
        Path root = config.workDir().resolve("sandbox");
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create " + root + ": " + e.getMessage(), e);
        }
        Path seccomp = null;
        if (SeccompFilter.supported()) {
            try {
                seccomp = SeccompFilter.writeTo(root);
            } catch (IOException e) {
                throw new IllegalStateException("cannot write the seccomp filter into " + root + ": " + e.getMessage(), e);
            }
        } else {
            LOG.warn("executor sandbox without a seccomp filter: none for architecture {}", System.getProperty("os.arch"));
        }
        LOG.info("executor sandbox on: bubblewrap, cgroup {}, seccomp {}", host.v2() ? "v2" : "v1",
                seccomp != null ? "on" : "off");
        return new ExecutorSandbox(findBwrap(), seccomp, host, root, CoreMap.ofThisProcess());
    }

    private static Path findBwrap() {
        for (String p : List.of("/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap")) {
            if (Files.isExecutable(Path.of(p))) {
                return Path.of(p);
            }
        }
        return null;
    }

    /**
     * Prepares {@code executor}'s directory and cgroup and returns its command: {@code javaCommand}
     * run in the sandbox, joined to the cgroup before anything starts.
     *
     * @param archives the AOT cache or CDS archive the JVM maps (read-only inside)
     * @param managerSocket the manager's shm socket the executor connects to, or {@code null}
     */
    List<String> prepare(LaunchedExecutor executor, List<String> javaCommand, String classPath, List<Path> archives,
            String managerSocket) throws IOException {
        String name = "x" + HexFormat.of().toHexDigits(executor.secret);
        Path dir = root.resolve(name);
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        ExecutorCgroup cgroup;
        try {
            long limit = (executor.memoryMiB + RUNTIME_ALLOWANCE_MIB) << 20;
            cgroup = ExecutorCgroup.create(cgroups, name, limit, MAX_TASKS);
        } catch (RuntimeException e) {
            Files.deleteIfExists(dir);
            throw new IOException(e.getMessage(), e);
        }
        executor.sandboxDir = dir;
        executor.cgroup = cgroup;
        if (executor.spare) {
            try {
                cgroup.background(); // before the JVM joins: its boot and wait use idle cycles only
            } catch (IOException e) {
                LOG.warn("spare {}: cannot lower its CPU weight (it boots at the normal one): {}", name, e.toString());
            }
        }
        List<String> c = new ArrayList<>(List.of("/bin/sh", "-c", seccomp != null ? JOIN_WITH_FILTER : JOIN,
                "rfaas-join"));
        if (seccomp != null) {
            c.add(seccomp.toString());
        }
        cgroup.procsFiles().forEach(f -> c.add(f.toString()));
        c.add("--");
        c.addAll(List.of(bwrap.toString(), "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try", "--uid", "65534", "--gid", "65534", "--hostname", "rfaas-executor",
                "--new-session", "--die-with-parent"));
        if (seccomp != null) {
            c.addAll(List.of("--seccomp", "3"));
        }
        List<String> ro = new ArrayList<>(List.of("/usr"));
        for (String link : List.of("/bin", "/lib", "/lib64", "/sbin", "/lib32", "/libx32")) {
            Path p = Path.of(link);
            if (Files.isSymbolicLink(p)) {
                c.addAll(List.of("--symlink", Files.readSymbolicLink(p).toString(), link));
            } else if (Files.isDirectory(p)) {
                ro.add(link);
            }
        }
        ro.add(Path.of(javaCommand.getFirst()).toRealPath().getParent().getParent().toString());
        ro.addAll(ETC_FILES);
        for (String entry : classPath.split(File.pathSeparator)) {
            ro.add(Path.of(entry).toAbsolutePath().toString());
        }
        archives.forEach(a -> ro.add(a.toString()));
        // The scratch tmpfs first: read-only binds that lie under /tmp (a build or a class path in a
        // temporary directory) then land inside it instead of being hidden by it.
        c.addAll(List.of("--size", Long.toString(SCRATCH_MIB << 20), "--tmpfs", "/tmp"));
        for (String p : ro) {
            if (p.equals("/usr") || !p.startsWith("/usr/")) {
                c.addAll(List.of("--ro-bind-try", p, p));
            }
        }
        c.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--dev-bind-try", "/dev/infiniband", "/dev/infiniband",
                "--bind", "/dev/shm", "/dev/shm", "--ro-bind", dir.toString(), INSIDE_DIR));
        if (managerSocket != null) {
            c.addAll(List.of("--bind", managerSocket, INSIDE_MANAGER_SOCKET));
        }
        // The root and /dev are tmpfs bubblewrap made: read-only, so that only the bounded /tmp takes files.
        c.addAll(List.of("--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp", "--"));
        c.addAll(javaCommand);
        return c;
    }

    /**
     * Starts {@code pb} on the spawning thread, with an environment of only the spawn secret, a
     * path and a home (nothing of the manager's; the secret not on a command line others can read).
     */
    Process spawn(ProcessBuilder pb, long secret) throws IOException {
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        pb.environment().put("HOME", "/tmp");
        pb.environment().put(ExecutorMain.SPAWN_SECRET_ENV, Long.toString(secret));
        try {
            return spawner.submit(pb::start).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("cannot start the sandbox: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting the sandbox", e);
        }
    }

    /** The manager's address as an executor in the sandbox reaches it (its shm socket is mounted). */
    static String managerAddress(String address) {
        return address.startsWith("shm:") ? "shm:" + INSIDE_MANAGER_SOCKET : address;
    }

    /** The socket path of an shm address, or {@code null} for other transports. */
    static String shmSocket(String address) {
        if (!address.startsWith("shm:")) {
            return null;
        }
        String p = address.substring(4);
        return p.startsWith("//") ? p.substring(2) : p;
    }

    /**
     * Puts the lease's package and the client's shm socket (hard links: the executor's directory is
     * read-only inside, and links need no copy) in {@code executor}'s directory and returns the
     * assignment with the paths as the executor sees them. {@link #confine} gives it its cores.
     *
     * @throws IOException when the client's socket cannot be linked (another file system): the
     *     lease then gets an executor started for it instead of a spare
     */
    ExecutorAssignment stage(LaunchedExecutor executor, ExecutorAssignment a) throws IOException {
        Path dir = executor.sandboxDir;
        String clientAddress = a.clientAddress();
        String socket = shmSocket(clientAddress);
        if (socket != null) {
            Files.createLink(dir.resolve("client.sock"), Path.of(socket).toAbsolutePath());
            clientAddress = "shm:" + INSIDE_DIR + "/client.sock";
        }
        Path pkg = Path.of(a.packagePath());
        Path placed = dir.resolve("package-" + pkg.getFileName());
        try {
            Files.createLink(placed, pkg);
        } catch (FileSystemException e) {
            Files.copy(pkg, placed, StandardCopyOption.REPLACE_EXISTING);
        }
        return new ExecutorAssignment(a.leaseId(), a.clientNonce(), a.shape(), a.packageKind(),
                a.packageDigest(), a.flushIntervalMillis(), clientAddress, INSIDE_DIR + "/" + placed.getFileName(), a.functionNames());
    }

    /**
     * Confines {@code executor}'s cgroup to {@code count} of the node's lent cores, at the normal
     * CPU weight: called when its lease starts, before the lease's first call can arrive.
     */
    void confine(LaunchedExecutor executor, int count) throws IOException {
        int[] cpus = cores.take(count);
        executor.cpus = cpus;
        executor.cgroup.leaseCores(cpus);
        executor.cgroup.foreground();
    }

    /**
     * Whether a spare can serve a client at {@code clientAddress}: its shm socket must be linkable
     * into the spare's directory, as {@link #stage} does. Tried with a link of our own in the
     * sandbox root, removed at once: two system calls, where comparing the two file stores parsed
     * the mount table twice (0.2-0.7 ms of every shm cold start from a spare).
     */
    boolean spareCanReach(String clientAddress) {
        String socket = shmSocket(clientAddress);
        if (socket == null) {
            return true;
        }
        // One connection thread serves one allocation at a time: its id keeps the name unique.
        return linkable(root, Path.of(socket).toAbsolutePath(), "reach-" + Thread.currentThread().threadId() + ".sock");
    }

    /**
     * Whether {@code target} can be hard-linked into {@code directory}: tried as {@code probeName}
     * there, removed at once.
     */
    static boolean linkable(Path directory, Path target, String probeName) {
        Path probe = directory.resolve(probeName);
        try {
            try {
                Files.createLink(probe, target);
            } catch (FileAlreadyExistsException e) {
                Files.delete(probe); // left by a manager that stopped between the two calls
                Files.createLink(probe, target);
            }
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
        try {
            Files.delete(probe);
        } catch (IOException e) {
            LOG.debug("cannot remove {}: {}", probe, e.toString());
        }
        return true;
    }

    /** {@code executor} is gone: its leftover tasks are killed, its cgroup, cores and directory freed. */
    void release(LaunchedExecutor executor) {
        if (executor.cgroup != null) {
            executor.cgroup.destroy();
        }
        if (executor.cpus != null) {
            cores.release(executor.cpus);
            executor.cpus = null;
        }
        if (executor.sandboxDir != null) {
            try (var paths = Files.walk(executor.sandboxDir)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                LOG.debug("cannot delete {}: {}", executor.sandboxDir, e.toString());
            }
        }
    }

    @Override
    public void close() {
        spawner.shutdown();
        cgroups.close();
    }
}
