package org.rfaas.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.rfaas.client.ExecutorsDatabase;
import org.rfaas.client.HotPathWarmup;
import org.rfaas.demo.support.FunctionPackages;
import org.rfaas.transport.Transports;
import picocli.CommandLine.Command;

/**
 * {@code rfaas train-cli} (hidden): the training run of the CLI's AOT cache. The {@code rfaas}
 * launcher runs it once per build with {@code -XX:AOTCacheOutput} (JDK 25: JEP 483, 514, 515) and
 * starts every later CLI JVM with {@code -XX:AOTCache}, so that their classes start loaded and
 * linked instead of read, verified and linked from 60 JARs.
 *
 * <p>It runs what a command-line client's start runs: the invoke command's parsing, an executors
 * database, the transports' opening, logging, and each local transport's invocation path over
 * loopback (no lease, no executor). A transport that cannot run here is skipped; when none can,
 * it exits 1 and the launcher keeps no cache.
 */
@Command(name = "train-cli", hidden = true, description = "Training run of the CLI's AOT cache (the launcher runs it).")
final class CliTrainingCommand implements Callable<Integer> {
    /** The transports rehearsed, in order. */
    static final List<String> TRANSPORTS = List.of("shm", "tcp", "fabric:tcp");
    /** Enough calls for the invocation path's profile, few enough to keep the training short. */
    static final int CALLS = 2_000;

    @Override
    public Integer call() throws IOException {
        Path dir = Files.createTempDirectory("rfaas-train-cli-");
        try {
            Path db = dir.resolve("executors.json");
            Files.writeString(db, """
                    [ {"name": "a", "address": "shm:%s", "cores": 1, "memoryMiB": 64},
                      {"name": "b", "address": "tcp://127.0.0.1:1", "cores": 1, "memoryMiB": 64},
                      {"name": "c", "address": "fabric:tcp://127.0.0.1:2", "cores": 1, "memoryMiB": 64} ]
                    """.formatted(dir.resolve("manager.sock")));
            Main.commandLine("invoke").parseArgs("invoke", "--executors", db.toString(), "--package", "f.jar",
                    "--function", "echo", "--mode", "hot", "--repeat", "2");
            ExecutorsDatabase database = ExecutorsDatabase.load(db);
            Transports.preload(database.transports()).join();
            int trained = 0;
            for (String transport : TRANSPORTS) {
                try {
                    HotPathWarmup.rehearse(transport, CALLS);
                    trained++;
                } catch (RuntimeException e) {
                    System.err.println("rfaas train-cli: " + transport + " skipped: " + e.getMessage());
                }
            }
            System.out.println("rfaas train-cli: rehearsed " + trained + " of " + TRANSPORTS.size() + " transports");
            return trained > 0 ? 0 : 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } finally {
            FunctionPackages.deleteTree(dir);
        }
    }
}
