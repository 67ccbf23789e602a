package org.rfaas.cli;

import org.rfaas.demo.support.NativeEnvironment;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code rfaas} command: one entry point, one sub-command per process or tool. */
@Command(name = "rfaas", mixinStandardHelpOptions = true, version = "rfaas 0.1.0",
        description = "rFaaS for the JVM: leases on idle cores, microsecond function invocations.",
        footer = {"", "The launcher also runs the test suite: ./rfaas test"},
        subcommands = {
            CommandLine.HelpCommand.class,
            BenchForwardCommand.class,
            DemoCommand.class,
            ExecutorManagerCommand.class,
            InvokeCommand.class,
            ResourceManagerCommand.class,
            NodesCommand.class,
            LeasesCommand.class,
            TenantsCommand.class,
            BillingCommand.class,
            FabricInfoCommand.class,
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        prepareProcess();
        int code = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        System.exit(code);
    }

    /**
     * What this process needs before any command runs: libfabric, which several commands load, must
     * not replace the JVM's SIGSEGV handler (see {@link NativeEnvironment#protectJvmSignalsFromLibfabric}).
     * The {@code rfaas} launcher also exports the variable, so that every JVM started from here
     * inherits it.
     */
    public static void prepareProcess() {
        NativeEnvironment.protectJvmSignalsFromLibfabric();
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
