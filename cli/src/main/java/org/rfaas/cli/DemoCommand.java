package org.rfaas.cli;

import org.rfaas.benchmarks.demo.Demo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code rfaas demo}: a lease's whole life on this machine, cold, warm and hot, with its accounting. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Starts an executor manager on localhost, leases a core, ships the example functions (a Java JAR",
                "and a native library built with gcc), invokes them cold, warm and hot, prints latencies and the",
                "lease's accounting, and stops everything (no process is left behind)."})
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--transport", paramLabel = "NAME", defaultValue = "shm",
            description = "Transport between client, manager and executor: shm, tcp or fabric:tcp (default: ${DEFAULT-VALUE}).")
    String transport;

    @Override
    public Integer call() throws Exception {
        return Demo.run(transport, Demo.defaultStages(), System.out);
    }
}
