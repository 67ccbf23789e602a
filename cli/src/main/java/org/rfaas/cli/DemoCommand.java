package org.rfaas.cli;

import org.rfaas.demo.Demo;
import org.rfaas.demo.cluster.ClusterDemo;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code rfaas demo}: a lease's whole life on this machine: granted by a resource manager, verified
 * and served by an executor manager, invoked cold, warm and hot, released and billed.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Starts a resource manager (in this JVM, HTTP on loopback) and an executor manager that joins it,",
                "leases cores from the resource manager, ships the example functions (a Java JAR and a native library",
                "built with gcc), invokes them cold, warm and hot, prints latencies, the leases, their accounting and",
                "the billing read back from the resource manager, and stops everything (no process is left behind)."})
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--transport", paramLabel = "NAME", defaultValue = "shm",
            description = "Transport between client, manager and executor: shm, tcp or fabric:tcp (default: ${DEFAULT-VALUE}).")
    String transport;

    @Option(names = "--verbose", description = "Keep the resource manager's INFO log (registrations, billing) on stderr.")
    boolean verbose;

    @Option(names = "--cluster", description = {"A 5-host cluster with a real Slurm on this machine (network namespaces; needs",
            "root): leases on three hosts from a compute host, cold/warm/hot across hosts, a Slurm job taking a node",
            "back (leases revoked, the application told), the node returning; everything torn down at the end."})
    boolean cluster;

    @Option(names = "--keep", description = {"Keep the daemons (and the dashboard) up after the demo until Ctrl-C, then tear",
            "everything down and check it as usual."})
    boolean keep;

    @Override
    public Integer call() throws Exception {
        if (cluster) {
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.rfaas")).setLevel(ch.qos.logback.classic.Level.WARN);
            return ClusterDemo.run(cliCommand(), repositoryRoot().resolve("deploy/slurm"), System.out, keep);
        }
        if (!verbose) {
            // The demo prints what the resource manager logs at INFO (registration, each lease billed),
            // so its log would only interleave with the table on a terminal; warnings still show.
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.rfaas.resourcemanager"))
                    .setLevel(ch.qos.logback.classic.Level.WARN);
        }
        return Demo.run(transport, Demo.defaultStages(), System.out, keep);
    }

    /** This JVM's java and class path running the CLI's main class: how the daemons are started. */
    private static List<String> cliCommand() {
        return List.of(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), "org.rfaas.cli.Main");
    }

    /** The checkout the launcher runs from (it passes its own path), else the working directory. */
    private static Path repositoryRoot() {
        String launcher = System.getProperty("rfaas.launcher");
        return launcher != null ? Path.of(launcher).toAbsolutePath().getParent() : Path.of("").toAbsolutePath();
    }
}
