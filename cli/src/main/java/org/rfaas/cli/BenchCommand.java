package org.rfaas.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code rfaas bench ...}: the benchmark family. Each benchmark is a sub-command. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks that report ours vs the raw transport / a peer, measured in one run.",
        subcommands = {
            BenchAllCommand.class,
            BenchInvokeCommand.class,
            BenchTransportCommand.class,
            BenchLeasesCommand.class,
            BenchMicroCommand.class,
        })
public final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
