package org.rfaas.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.rfaas.demo.support.NativeEnvironment;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code rfaas} command: one entry point, one sub-command per process or tool. */
@Command(name = "rfaas", mixinStandardHelpOptions = true, version = "rfaas 0.1.0",
        description = "rFaaS for the JVM: leases on idle cores, microsecond function invocations.",
        footer = {"", "The launcher also runs the test suite: ./rfaas test"})
public final class Main implements Runnable {
    /**
     * The sub-commands by name, in the order the help lists them. Only the one a command line
     * names is built: picocli reflects over a command's annotations when it is added, and all of
     * them took ~0.2 s of a fresh JVM, before any command ran.
     */
    static final Map<String, Supplier<Object>> SUBCOMMANDS = new LinkedHashMap<>();

    static {
        SUBCOMMANDS.put("bench", BenchForwardCommand::new);
        SUBCOMMANDS.put("demo", DemoCommand::new);
        SUBCOMMANDS.put("executor-manager", ExecutorManagerCommand::new);
        SUBCOMMANDS.put("invoke", InvokeCommand::new);
        SUBCOMMANDS.put("resource-manager", ResourceManagerCommand::new);
        SUBCOMMANDS.put("nodes", NodesCommand::new);
        SUBCOMMANDS.put("leases", LeasesCommand::new);
        SUBCOMMANDS.put("tenants", TenantsCommand::new);
        SUBCOMMANDS.put("billing", BillingCommand::new);
        SUBCOMMANDS.put("fabric-info", FabricInfoCommand::new);
        SUBCOMMANDS.put("train-cli", CliTrainingCommand::new);
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        prepareProcess();
        System.exit(commandLine(args).execute(args));
    }

    /**
     * The command line for {@code args}: with the sub-command that {@code args[0]} names, or with
     * all of them (and {@code help}) when it names none, so that help and error messages list them.
     */
    static CommandLine commandLine(String... args) {
        CommandLine cl = new CommandLine(new Main());
        Supplier<Object> named = args.length > 0 ? SUBCOMMANDS.get(args[0]) : null;
        if (named != null) {
            cl.addSubcommand(named.get());
        } else {
            cl.addSubcommand(new CommandLine.HelpCommand());
            SUBCOMMANDS.values().forEach(command -> cl.addSubcommand(command.get()));
        }
        // After the sub-commands: picocli applies a setting to those added when it is set.
        return cl.setCaseInsensitiveEnumValuesAllowed(true);
    }

    /**
     * What this process needs before any command runs: libfabric, which several commands load, must
     * not replace the JVM's SIGSEGV handler (see {@link NativeEnvironment#protectJvmSignalsFromLibfabric}).
     * The {@code rfaas} launcher also exports the variable, so that every JVM started from this one
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
