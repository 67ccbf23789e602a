package org.rfaas.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One host of a {@link NamespaceCluster}: its own network namespace ({@code /run/netns/<name>}, one
 * interface {@code eth0} with a 198.18.0.0/24 address, loopback up, no default route) and its own
 * UTS namespace (so {@code hostname} prints its name) and its own mount namespace (to see its own
 * {@code /etc/hosts}). The PID namespace and the file systems are the machine's, so files are shared
 * and {@link ProcessHandle} sees every host's processes.
 */
public final class Host {
    private final String name;
    private final String address;
    private final Path utsFile;
    private final Path mountFile;
    private final Path logDir;
    private final String bridgeSideLink;

    Host(String name, String address, Path utsFile, Path mountFile, Path logDir, String bridgeSideLink) {
        this.name = name;
        this.address = address;
        this.utsFile = utsFile;
        this.mountFile = mountFile;
        this.logDir = logDir;
        this.bridgeSideLink = bridgeSideLink;
    }

    /** Exit status and merged stdout/stderr of a command run to completion in a host. */
    public record Result(int exitCode, String output) {
        /** True when the exit status is 0. */
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /** Its host name (also its network namespace's name), e.g. {@code rfx-h1}. */
    public String name() {
        return name;
    }

    /** Its IPv4 address on the cluster bridge, e.g. {@code 198.18.0.1}. */
    public String address() {
        return address;
    }

    /** The network namespace file, {@code /run/netns/<name>}. */
    public Path netnsFile() {
        return Path.of("/run/netns", name);
    }

    /** The persistent UTS namespace file (a bind mount of the namespace). */
    public Path utsFile() {
        return utsFile;
    }

    /**
     * The persistent mount namespace file. The host's mount namespace differs from the machine's only
     * by its {@code /etc/hosts} (every host's name and address), so files are shared.
     */
    public Path mountFile() {
        return mountFile;
    }

    /** Where {@link #start} puts the output files of this host's processes. */
    public Path logDir() {
        return logDir;
    }

    /** The veth end on the bridge (in the root namespace); {@link #cutLink()} sets it down. */
    public String bridgeSideLink() {
        return bridgeSideLink;
    }

    /**
     * The command prefix that runs a program inside this host: {@code nsenter --net=... --uts=...
     * --mount=... --wd=<this JVM's working directory> --}.
     */
    public List<String> enterCommand() {
        return List.of("nsenter", "--net=" + netnsFile(), "--uts=" + utsFile, "--mount=" + mountFile,
                "--wd=" + System.getProperty("user.dir"), "--");
    }

    /**
     * A {@link ProcessBuilder} for {@code command} run inside this host; the caller sets redirects
     * and environment. nsenter execs the command, so the process's pid is the command's.
     */
    public ProcessBuilder processBuilder(List<String> command) {
        List<String> full = new ArrayList<>(enterCommand());
        full.addAll(command);
        return new ProcessBuilder(full);
    }

    /** Starts {@code command} in this host with stdout and stderr in {@code <logDir>/<name>.out|.err}. */
    public HostProcess start(String processName, List<String> command) {
        return start(processName, command, Map.of());
    }

    /** {@link #start(String, List)} with extra environment variables. */
    public HostProcess start(String processName, List<String> command, Map<String, String> environment) {
        Path out = logDir.resolve(processName + ".out");
        Path err = logDir.resolve(processName + ".err");
        ProcessBuilder pb = processBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        pb.environment().putAll(environment);
        try {
            Files.createDirectories(logDir);
            return new HostProcess(this, processName, pb.start(), out, err);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command + " on " + name, e);
        }
    }

    /** Runs {@code command} in this host to completion (at most 60 s). */
    public Result run(String... command) {
        return run(List.of(command), Map.of());
    }

    /** Runs {@code command} with extra environment in this host to completion (at most 60 s). */
    public Result run(List<String> command, Map<String, String> environment) {
        ProcessBuilder pb = processBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(environment);
        try {
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out");
            }
            return new Result(p.exitValue(), new String(out, java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command + " on " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    /** Cuts this host off the bridge without telling anyone: its veth goes down, no FIN, no RST. */
    public void cutLink() {
        Commands.check("ip", "link", "set", "dev", bridgeSideLink, "down");
    }

    /** Reconnects a host cut by {@link #cutLink()}. */
    public void restoreLink() {
        Commands.check("ip", "link", "set", "dev", bridgeSideLink, "up");
    }

    /** The pids of every process in this host's network namespace ({@code ip netns pids}). */
    public List<Long> pids() {
        return NamespaceCluster.netnsPids(name);
    }

    /** SIGKILLs every process of this host and waits (up to 10 s) until none is left. */
    public void killAll() {
        NamespaceCluster.killNetnsProcesses(name);
    }

    @Override
    public String toString() {
        return name + "(" + address + ")";
    }
}
