package org.rfaas.cli;

import org.rfaas.demo.Demo;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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

    @Override
    public Integer call() throws Exception {
        if (!verbose) {
            // The demo prints what the resource manager logs at INFO (registration, each lease billed),
            // so its log would only interleave with the table on a terminal; warnings still show.
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.rfaas.resourcemanager"))
                    .setLevel(ch.qos.logback.classic.Level.WARN);
        }
        return Demo.run(transport, Demo.defaultStages(), System.out);
    }
}
