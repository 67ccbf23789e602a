package org.rfaas.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real Slurm on a {@link NamespaceCluster}: Debian's {@code munged}, {@code slurmctld} and one
 * {@code slurmd} per node host, each in its host's namespaces, with every file (munge key and socket,
 * {@code slurm.conf}, state, spool, logs) in a private directory. Nothing under {@code /etc} or
 * {@code /var} is read or written. Client commands ({@code sbatch}, {@code sinfo}, ...) run in a host
 * with {@code SLURM_CONF} pointing at the generated file ({@link #environment()}).
 *
 * <pre>{@code
 * try (SlurmCluster slurm = SlurmCluster.builder(cluster, dir).controller(cluster.host(1))
 *         .nodes(List.of(cluster.host(2), cluster.host(3))).prolog(prologScript).start()) {
 *     long job = slurm.sbatch(cluster.host(5), "rfx-h2", "#!/bin/sh\nhostname\n");
 *     slurm.awaitJobState(job, "COMPLETED", Duration.ofSeconds(30));
 * }
 * }</pre>
 */
public final class SlurmCluster implements AutoCloseable {
    /** Name of the one partition (it holds every node). */
    public static final String PARTITION = "rfaas";

    private final Path dir;
    private final Path conf;
    private final Host controller;
    private final List<Host> nodes;
    private final List<HostProcess> daemons = new ArrayList<>();

    private SlurmCluster(Path dir, Host controller, List<Host> nodes) {
        this.dir = dir;
        this.conf = dir.resolve("slurm.conf");
        this.controller = controller;
        this.nodes = List.copyOf(nodes);
    }

    /** Starts configuring a Slurm whose files all live under {@code dir}. */
    public static Builder builder(NamespaceCluster cluster, Path dir) {
        return new Builder(cluster, dir);
    }

    /** Why Slurm cannot run here (a missing program), or empty. */
    public static Optional<String> unavailableReason() {
        for (String tool : List.of("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "sinfo", "scontrol")) {
            if (!Commands.run(List.of("which", tool)).ok() && !Files.isExecutable(Path.of("/usr/sbin", tool))) {
                return Optional.of("Slurm needs `" + tool + "` (Debian packages munge, slurmctld, slurmd, slurm-client)");
            }
        }
        return Optional.empty();
    }

    /** The generated {@code slurm.conf}. */
    public Path confFile() {
        return conf;
    }

    /** The private directory (logs under {@code log/}, job output under {@code jobs/}). */
    public Path dir() {
        return dir;
    }

    /** The host running slurmctld. */
    public Host controller() {
        return controller;
    }

    /** The hosts running slurmd; their host names are their Slurm node names. */
    public List<Host> nodes() {
        return nodes;
    }

    /** Environment for Slurm client commands: {@code SLURM_CONF}. */
    public Map<String, String> environment() {
        return Map.of("SLURM_CONF", conf.toString());
    }

    /** Runs a Slurm client command (e.g. {@code sinfo}) in {@code host}. */
    public Host.Result command(Host host, String... command) {
        return host.run(List.of(command), environment());
    }

    /**
     * Submits {@code script} as a batch job on node {@code node} ({@code sbatch -w node}) from
     * {@code from}; output goes to {@code jobs/<id>.out} in {@link #dir()}. Returns the job id.
     */
    public long sbatch(Host from, String node, String script) {
        try {
            Path jobs = Files.createDirectories(dir.resolve("jobs"));
            Path file = Files.createTempFile(jobs, "job-", ".sh");
            Files.writeString(file, script);
            Host.Result r = command(from, "sbatch", "--parsable", "-p", PARTITION, "-w", node, "-N", "1", "-n", "1",
                    "-o", jobs.resolve("%j.out").toString(), "-D", jobs.toString(), file.toString());
            if (!r.ok()) {
                throw new IllegalStateException("sbatch failed: " + r.output());
            }
            return Long.parseLong(r.output().strip().split(";")[0]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The job's output file. */
    public Path jobOutput(long jobId) {
        return dir.resolve("jobs").resolve(jobId + ".out");
    }

    /** The job's state ({@code PENDING}, {@code RUNNING}, {@code COMPLETED}, {@code FAILED}, ...). */
    public String jobState(long jobId) {
        Host.Result r = command(controller, "scontrol", "-o", "show", "job", Long.toString(jobId));
        for (String field : r.output().split("\\s+")) {
            if (field.startsWith("JobState=")) {
                return field.substring("JobState=".length());
            }
        }
        throw new IllegalStateException("no state for job " + jobId + ": " + r.output());
    }

    /** Waits until the job is in one of {@code states}; returns the state reached. */
    public String awaitJobState(long jobId, Duration timeout, String... states) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String state = "";
        while (System.nanoTime() < deadline) {
            state = jobState(jobId);
            for (String s : states) {
                if (s.equals(state)) {
                    return state;
                }
            }
            Thread.sleep(50);
        }
        throw new TimeoutException("job " + jobId + " is " + state + " after " + timeout + ", not " + String.join("/", states)
                + "\n" + logTail());
    }

    /** Node name → state as {@code sinfo -N} prints it (e.g. {@code idle}, {@code alloc}, {@code down*}). */
    public Map<String, String> nodeStates() {
        Host.Result r = command(controller, "sinfo", "-h", "-N", "-o", "%N %t");
        Map<String, String> states = new LinkedHashMap<>();
        if (r.ok()) {
            r.output().lines().map(l -> l.strip().split("\\s+")).filter(f -> f.length == 2).forEach(f -> states.put(f[0], f[1]));
        }
        return states;
    }

    /** Waits until every node is {@code idle}. */
    public void awaitAllIdle(Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, String> states = Map.of();
        while (System.nanoTime() < deadline) {
            states = nodeStates();
            if (states.size() == nodes.size() && states.values().stream().allMatch("idle"::equals)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new TimeoutException("Slurm nodes not idle after " + timeout + ": " + states + "\n" + logTail());
    }

    /** The last lines of the daemons' logs, for failure messages. */
    public String logTail() {
        StringBuilder b = new StringBuilder();
        try (var files = Files.list(dir.resolve("log"))) {
            for (Path f : files.sorted().toList()) {
                b.append("----- ").append(f.getFileName()).append('\n').append(HostProcess.tail(f, 15)).append('\n');
            }
        } catch (IOException e) {
            b.append("(no logs: ").append(e.getMessage()).append(")");
        }
        return b.toString();
    }

    /** Stops the slurmds, slurmctld and munged (SIGTERM, then SIGKILL). */
    @Override
    public void close() {
        for (HostProcess p : daemons.reversed()) {
            p.close();
        }
        daemons.clear();
    }

    private void startDaemons(String confText) throws IOException, TimeoutException, InterruptedException {
        for (String sub : List.of("munge", "state", "spool", "log", "jobs")) {
            Files.createDirectories(dir.resolve(sub));
        }
        // munged refuses a key or socket directory that others may write.
        Files.setPosixFilePermissions(dir.resolve("munge"), PosixFilePermissions.fromString("rwx------"));
        Path key = dir.resolve("munge/munge.key");
        Commands.check("mungekey", "--create", "--keyfile=" + key);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("r--------"));
        Files.writeString(conf, confText);
        Path socket = dir.resolve("munge/munge.socket");
        HostProcess munged = controller.start("munged", List.of("munged", "--foreground", "--force",
                "--socket=" + socket, "--key-file=" + key, "--pid-file=" + dir.resolve("munge/munged.pid"),
                "--log-file=" + dir.resolve("log/munged.log"), "--seed-file=" + dir.resolve("munge/munged.seed")));
        daemons.add(munged);
        awaitFile(socket, munged);
        Map<String, String> env = environment();
        HostProcess ctld = controller.start("slurmctld", List.of("slurmctld", "-D", "-i", "-f", conf.toString()), env);
        daemons.add(ctld);
        for (Host n : nodes) {
            daemons.add(n.start("slurmd-" + n.name(), List.of("slurmd", "-D", "-N", n.name(), "-f", conf.toString()), env));
        }
    }

    private static void awaitFile(Path file, HostProcess owner) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(file)) {
            if (!owner.isAlive() || System.nanoTime() > deadline) {
                throw new TimeoutException(owner + " did not create " + file + ": " + HostProcess.tail(owner.stderr(), 20));
            }
            Thread.sleep(20);
        }
    }

    /** Configures and starts a {@link SlurmCluster}. */
    public static final class Builder {
        private final NamespaceCluster cluster;
        private final Path dir;
        private Host controller;
        private List<Host> nodes = List.of();
        private Path prolog;
        private Path epilog;
        private final List<String> extraLines = new ArrayList<>();

        private Builder(NamespaceCluster cluster, Path dir) {
            this.cluster = cluster;
            this.dir = dir;
        }

        /** The host running slurmctld (and munged). */
        public Builder controller(Host host) {
            this.controller = host;
            return this;
        }

        /** The hosts running slurmd, one node each (name = host name, NodeAddr = its address). */
        public Builder nodes(List<Host> hosts) {
            this.nodes = List.copyOf(hosts);
            return this;
        }

        /** {@code Prolog=} script, run as root on the node when a job is given it ({@code PrologFlags=Alloc}). */
        public Builder prolog(Path script) {
            this.prolog = script;
            return this;
        }

        /** {@code Epilog=} script, run as root on the node when a job ends there. */
        public Builder epilog(Path script) {
            this.epilog = script;
            return this;
        }

        /** An extra {@code slurm.conf} line. */
        public Builder confLine(String line) {
            extraLines.add(line);
            return this;
        }

        /** The {@code slurm.conf} this builder generates. */
        public String slurmConf() {
            Path d = dir.toAbsolutePath();
            StringBuilder b = new StringBuilder();
            b.append("# generated by org.rfaas.testbed.SlurmCluster\n");
            b.append("ClusterName=rfx\n");
            b.append("SlurmctldHost=").append(controller.name()).append('(').append(controller.address()).append(")\n");
            b.append("SlurmUser=root\nSlurmdUser=root\n");
            b.append("AuthType=auth/munge\nCredType=cred/munge\n");
            b.append("AuthInfo=socket=").append(d.resolve("munge/munge.socket")).append('\n');
            b.append("SlurmctldPort=6817\nSlurmdPort=6818\n");
            b.append("StateSaveLocation=").append(d.resolve("state")).append('\n');
            b.append("SlurmdSpoolDir=").append(d.resolve("spool")).append("/%n\n");
            b.append("SlurmctldPidFile=").append(d.resolve("slurmctld.pid")).append('\n');
            b.append("SlurmdPidFile=").append(d.resolve("spool")).append("/slurmd-%n.pid\n");
            b.append("SlurmctldLogFile=").append(d.resolve("log/slurmctld.log")).append('\n');
            b.append("SlurmdLogFile=").append(d.resolve("log")).append("/slurmd-%n.log\n");
            b.append("ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n");
            b.append("SelectType=select/cons_tres\nSelectTypeParameters=CR_Core\n");
            b.append("SchedulerType=sched/backfill\nMpiDefault=none\nReturnToService=2\n");
            b.append("JobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n");
            b.append("JobCompType=jobcomp/none\nSlurmctldTimeout=30\nSlurmdTimeout=30\nInactiveLimit=0\n");
            b.append("MinJobAge=300\nKillWait=5\nSlurmctldDebug=info\nSlurmdDebug=info\n");
            if (prolog != null) {
                b.append("Prolog=").append(prolog.toAbsolutePath()).append("\nPrologFlags=Alloc\n");
            }
            if (epilog != null) {
                b.append("Epilog=").append(epilog.toAbsolutePath()).append('\n');
            }
            b.append("PrologEpilogTimeout=120\n");
            extraLines.forEach(l -> b.append(l).append('\n'));
            for (Host n : nodes) {
                b.append("NodeName=").append(n.name()).append(" NodeAddr=").append(n.address())
                        .append(" CPUs=1 State=UNKNOWN\n");
            }
            b.append("PartitionName=").append(PARTITION).append(" Nodes=")
                    .append(String.join(",", nodes.stream().map(Host::name).toList()))
                    .append(" Default=YES MaxTime=INFINITE State=UP\n");
            return b.toString();
        }

        /** Writes the files, starts munged, slurmctld and the slurmds, and waits until every node is idle. */
        public SlurmCluster start() throws IOException, TimeoutException, InterruptedException {
            if (controller == null || nodes.isEmpty()) {
                throw new IllegalStateException("a controller host and at least one node host are needed");
            }
            for (Host h : nodes) {
                cluster.host(h.name());
            }
            Files.createDirectories(dir);
            SlurmCluster slurm = new SlurmCluster(dir.toAbsolutePath(), controller, nodes);
            try {
                slurm.startDaemons(slurmConf());
                slurm.awaitAllIdle(Duration.ofSeconds(60));
            } catch (IOException | TimeoutException | InterruptedException | RuntimeException e) {
                slurm.close();
                throw e;
            }
            return slurm;
        }
    }
}
