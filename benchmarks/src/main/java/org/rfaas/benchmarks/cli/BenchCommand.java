package org.rfaas.benchmarks.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code rfaas bench ...}: the benchmark family. Each benchmark is a sub-command.
 *
 * <p>It runs in a JVM of its own ({@link #main}), started by the CLI's {@code bench} command with
 * the benchmarks' jars added to the class path, so that the CLI and the daemons never carry the
 * benchmark peers.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks that report ours vs the raw transport / a peer, measured in one run.",
        subcommands = {
            BenchAllCommand.class,
            BenchInvokeCommand.class,
            BenchTransportCommand.class,
            BenchLeasesCommand.class,
            BenchMicroCommand.class,
            BenchAppsCommand.class,
            BenchSebsCommand.class,
        })
public final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs {@code rfaas bench ARGS...}; exits with the sub-command's status. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchCommand()).setCommandName("rfaas bench")
                .setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
