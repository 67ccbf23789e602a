package org.rfaas.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A cluster of hosts on one machine: each host is a Linux network namespace with its own UTS
 * namespace (own host name) and its own mount namespace (only to see its own {@code /etc/hosts},
 * which names every host of the cluster, as a site's DNS would), all joined by one bridge, with addresses {@code 198.18.0.1/24},
 * {@code 198.18.0.2/24}, ... (198.18.0.0/15 is reserved for benchmarking network devices). The
 * bridge has no address and there is no default route, no NAT and no forwarding: the hosts reach
 * each other and nothing else. Needs root.
 *
 * <p>Everything it creates carries the prefix {@value #PREFIX}: namespaces {@code rfx-h1..}, veth
 * pairs {@code rfx-h1-b} (on the bridge) / {@code eth0} (in the host), the bridge {@code rfx-br0},
 * and a private tmpfs {@code /run/rfx-uts} holding the UTS and mount namespace files and the hosts
 * file. {@link #close()} removes all of it after
 * SIGKILLing every process in the hosts; a JVM shutdown hook does the same when the JVM exits
 * without closing; and {@link #start} first removes whatever a killed run left behind. A machine-wide
 * file lock ({@code /run/rfx-testbed.lock}) makes a second cluster wait until the first is closed,
 * so that the stale cleanup never touches a live cluster.
 *
 * <pre>{@code
 * try (NamespaceCluster c = NamespaceCluster.start(5, workDir)) {
 *     Host rm = c.host(1);
 *     HostProcess p = rm.start("rm", List.of("java", "-jar", "..."));
 *     c.host(3).cutLink();
 * }
 * }</pre>
 */
public final class NamespaceCluster implements AutoCloseable {
    /** Prefix of every namespace, link and file the testbed creates. */
    public static final String PREFIX = "rfx-";
    /** The bridge joining the hosts. */
    public static final String BRIDGE = PREFIX + "br0";
    /** Private tmpfs holding the persistent UTS and mount namespace files and the hosts file. */
    public static final Path UTS_DIR = Path.of("/run/rfx-uts");
    private static final Path LOCK_FILE = Path.of("/run/rfx-testbed.lock");

    private final List<Host> hosts;
    private final Path workDir;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Thread shutdownHook;
    private boolean closed;

    private NamespaceCluster(List<Host> hosts, Path workDir, FileChannel lockChannel, FileLock lock) {
        this.hosts = hosts;
        this.workDir = workDir;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.shutdownHook = new Thread(this::teardown, "rfx-testbed-teardown");
    }

    /**
     * Why a namespace cluster cannot be built here (not root, no {@code ip netns}, no
     * {@code unshare}/{@code nsenter}), or empty when it can.
     */
    public static Optional<String> unavailableReason() {
        if (!"root".equals(System.getProperty("user.name")) && !Commands.run(List.of("id", "-u")).output().strip().equals("0")) {
            return Optional.of("namespace cluster needs root (creates network namespaces and a bridge); running as "
                    + System.getProperty("user.name"));
        }
        for (String tool : List.of("ip", "nsenter", "unshare", "mount")) {
            if (!Commands.run(List.of("which", tool)).ok()) {
                return Optional.of("namespace cluster needs `" + tool + "` (packages iproute2, util-linux)");
            }
        }
        if (!Commands.run(List.of("ip", "netns", "list")).ok()) {
            return Optional.of("`ip netns` is unavailable: " + Commands.run(List.of("ip", "netns", "list")).output().strip());
        }
        String probe = PREFIX + "probe";
        Commands.Result add = Commands.run(List.of("ip", "netns", "add", probe));
        Commands.run(List.of("ip", "netns", "del", probe));
        if (!add.ok()) {
            return Optional.of("cannot create a network namespace: " + add.output().strip());
        }
        Commands.Result bridge = Commands.run(List.of("ip", "link", "add", probe, "type", "bridge"));
        Commands.run(List.of("ip", "link", "del", probe));
        if (!bridge.ok()) {
            return Optional.of("cannot create a bridge: " + bridge.output().strip());
        }
        return Optional.empty();
    }

    /**
     * Builds a cluster of {@code hostCount} hosts named {@code rfx-h1 .. rfx-hN} with addresses
     * {@code 198.18.0.1 .. 198.18.0.N}; process logs go under {@code workDir/<host>/}. Waits (up to
     * 10 min) for another cluster on this machine to close, then removes stale leftovers first.
     */
    public static NamespaceCluster start(int hostCount, Path workDir) {
        if (hostCount < 1 || hostCount > 250) {
            throw new IllegalArgumentException("hosts must be 1..250, got " + hostCount);
        }
        FileChannel channel = null;
        FileLock lock = null;
        try {
            channel = FileChannel.open(LOCK_FILE, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while ((lock = tryLock(channel)) == null) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("another namespace cluster holds " + LOCK_FILE + " for 10 min");
                }
                Thread.sleep(200);
            }
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException("cannot lock " + LOCK_FILE, e);
        } catch (InterruptedException e) {
            closeQuietly(channel);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + LOCK_FILE, e);
        }
        List<Host> hosts = new ArrayList<>();
        for (int i = 1; i <= hostCount; i++) {
            String name = PREFIX + "h" + i;
            hosts.add(new Host(name, "198.18.0." + i, UTS_DIR.resolve(name + ".uts"), UTS_DIR.resolve(name + ".mnt"),
                    workDir.resolve(name), name + "-b"));
        }
        NamespaceCluster cluster = new NamespaceCluster(List.copyOf(hosts), workDir, channel, lock);
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            List<String> stale = cleanupStale();
            if (!stale.isEmpty()) {
                System.err.println("testbed: removed a stale cluster left by a killed run: " + stale);
            }
            cluster.build();
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    private void build() {
        StringBuilder etcHosts = new StringBuilder("127.0.0.1 localhost\n");
        hosts.forEach(h -> etcHosts.append(h.address()).append(' ').append(h.name()).append('\n'));
        try {
            Files.createDirectories(workDir);
            Files.createDirectories(UTS_DIR);
            // A persistent mount namespace can only be bound onto a file in a private mount.
            Commands.check("mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", PREFIX + "ns", UTS_DIR.toString());
            Commands.check("mount", "--make-private", UTS_DIR.toString());
            Files.writeString(UTS_DIR.resolve("hosts"), etcHosts);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Commands.check("ip", "link", "add", BRIDGE, "type", "bridge");
        Commands.check("ip", "link", "set", "dev", BRIDGE, "up");
        for (Host h : hosts) {
            String ns = h.name();
            String inner = ns + "-n";
            Commands.check("ip", "netns", "add", ns);
            Commands.check("ip", "link", "add", h.bridgeSideLink(), "type", "veth", "peer", "name", inner);
            Commands.check("ip", "link", "set", "dev", h.bridgeSideLink(), "master", BRIDGE);
            Commands.check("ip", "link", "set", "dev", h.bridgeSideLink(), "up");
            Commands.check("ip", "link", "set", "dev", inner, "netns", ns);
            Commands.check("ip", "-n", ns, "link", "set", "dev", inner, "name", "eth0");
            Commands.check("ip", "-n", ns, "addr", "add", h.address() + "/24", "dev", "eth0");
            Commands.check("ip", "-n", ns, "link", "set", "dev", "eth0", "up");
            Commands.check("ip", "-n", ns, "link", "set", "dev", "lo", "up");
            try {
                Files.createDirectories(h.logDir());
                Files.createFile(h.utsFile());
                Files.createFile(h.mountFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            // unshare --uts=<file> --mount=<file> bind-mounts the new namespaces onto the files, so they
            // outlive the command; the hosts file is bound over /etc/hosts in the host's mount namespace only.
            Commands.check("unshare", "--uts=" + h.utsFile(), "--mount=" + h.mountFile(), "--propagation", "private",
                    "sh", "-c", "hostname \"$0\" && mount --bind \"$1\" /etc/hosts", h.name(), UTS_DIR.resolve("hosts").toString());
        }
    }

    /** The hosts, in order {@code rfx-h1, rfx-h2, ...}. */
    public List<Host> hosts() {
        return hosts;
    }

    /** Host number {@code n}, counting from 1 ({@code rfx-h<n>}, address {@code 198.18.0.<n>}). */
    public Host host(int n) {
        return hosts.get(n - 1);
    }

    /** The host with this name. */
    public Host host(String name) {
        return hosts.stream().filter(h -> h.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no host " + name));
    }

    /** The directory of the hosts' log directories. */
    public Path workDir() {
        return workDir;
    }

    /** SIGKILLs every process in every host, then removes namespaces, links, bridge and UTS files. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        teardown();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run: nothing to remove
        }
    }

    private synchronized void teardown() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            cleanupStale();
        } finally {
            try {
                lock.release();
            } catch (IOException e) {
                System.err.println("testbed: cannot release " + LOCK_FILE + ": " + e);
            }
            closeQuietly(lockChannel);
        }
    }

    /**
     * Removes every namespace, link, UTS file and process carrying {@link #PREFIX}: what a killed run
     * left behind. Only call it while holding the testbed lock (as {@link #start} does) or when no
     * cluster runs. Returns what it removed.
     */
    static List<String> cleanupStale() {
        List<String> removed = new ArrayList<>();
        for (String ns : Commands.check("ip", "netns", "list").lines().map(l -> l.split("\\s+")[0])
                .filter(n -> n.startsWith(PREFIX)).toList()) {
            killNetnsProcesses(ns);
            Commands.Result r = Commands.run(List.of("ip", "netns", "del", ns));
            if (!r.ok()) {
                System.err.println("testbed: cannot delete netns " + ns + ": " + r.output().strip());
            }
            removed.add("netns " + ns);
        }
        for (String link : links()) {
            if (link.startsWith(PREFIX)) {
                // a veth may already be gone with its peer's namespace
                Commands.run(List.of("ip", "link", "del", "dev", link));
                removed.add("link " + link);
            }
        }
        List<String> mounts = new ArrayList<>(mountPoints());
        // namespace files first, the tmpfs holding them last
        mounts.sort(java.util.Comparator.comparing(String::length).reversed());
        for (String mount : mounts) {
            if (mount.startsWith(UTS_DIR + "/") || mount.equals(UTS_DIR.toString())) {
                Commands.Result r = Commands.run(List.of("umount", mount));
                if (!r.ok()) {
                    System.err.println("testbed: cannot unmount " + mount + ": " + r.output().strip());
                }
                removed.add("mount " + mount);
            }
        }
        if (Files.isDirectory(UTS_DIR)) {
            try (var files = Files.list(UTS_DIR)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
                Files.deleteIfExists(UTS_DIR);
            } catch (IOException e) {
                System.err.println("testbed: cannot delete " + UTS_DIR + ": " + e);
            }
        }
        return removed;
    }

    /** Names of the links in the root namespace ({@code ip -o link show}). */
    static List<String> links() {
        List<String> names = new ArrayList<>();
        for (String line : Commands.check("ip", "-o", "link", "show").lines().toList()) {
            String[] f = line.split(":\\s+", 3);
            if (f.length >= 2) {
                names.add(f[1].split("@")[0].trim());
            }
        }
        return names;
    }

    /** Mount points of this mount namespace, from {@code /proc/self/mountinfo}. */
    static List<String> mountPoints() {
        try {
            return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" ")[4]).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * True when process {@code pid} exists and is not a zombie. A killed process whose parent is gone
     * stays a zombie until the machine's init reaps it; it holds no namespace, socket or file any more.
     */
    public static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException gone) {
            return false;
        }
    }

    /** Pids of the processes in network namespace {@code ns}. */
    static List<Long> netnsPids(String ns) {
        Commands.Result r = Commands.run(List.of("ip", "netns", "pids", ns));
        if (!r.ok()) {
            return List.of();
        }
        return r.output().lines().map(String::strip).filter(s -> !s.isEmpty()).map(Long::parseLong).toList();
    }

    /** SIGKILLs every process of namespace {@code ns}, repeating until none is left (at most 10 s). */
    static void killNetnsProcesses(String ns) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<Long> pids;
        while (!(pids = netnsPids(ns)).isEmpty()) {
            for (long pid : pids) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            if (System.nanoTime() > deadline) {
                System.err.println("testbed: processes of " + ns + " survive SIGKILL: " + pids);
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The lock, or null while another cluster (in this JVM or another) holds it. */
    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException heldInThisJvm) {
            return null;
        }
    }

    private static void closeQuietly(FileChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // nothing held any more
            }
        }
    }
}
