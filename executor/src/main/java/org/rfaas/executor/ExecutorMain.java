package org.rfaas.executor;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.transport.SegmentKinds;
import org.rfaas.transport.Transports;
import org.rfaas.transport.fabric.FabricTransportProvider;
import org.rfaas.transport.shm.ShmTransportProvider;
import org.rfaas.transport.tcp.TcpTransportProvider;

/**
 * Entry point of an executor process, started by the executor manager (never by hand):
 * {@code java -Xmx<lease memory> org.rfaas.executor.ExecutorMain --manager ADDRESS [--spare
 * [--preload ADDRESS,...] [--preload-package SHA256:PATH] | --assignment PATH]}, the spawn secret
 * in the environment ({@value #SPAWN_SECRET_ENV}, where {@code ps} does not show it). Nothing
 * lease-specific is on the command line: every executor learns its lease from the manager's
 * {@code ExecutorAssignment}, a spare ({@code --spare}, started ahead of demand) over its manager
 * link, one forked for a lease from the file {@code --assignment} names, which the manager wrote
 * before it started. {@code --preload} names the node's client transports, by a listen address of
 * each (or a bare transport name), which a spare opens while it waits (libfabric's start takes
 * about half a second), preparing its lease's connection from that address's host.
 * {@code --train DIR} is the training run of the executors' AOT cache. Exit code 0 after an
 * orderly stop, 2 for bad arguments, 3 for a package that cannot be loaded.
 */
public final class ExecutorMain {
    /** Environment variable holding the spawn secret (decimal). */
    public static final String SPAWN_SECRET_ENV = "RFAAS_SPAWN_SECRET";
    /** The largest assignment an executor reads from {@code --assignment}: a manager link's slot, which carries a spare's. */
    public static final int MAX_ASSIGNMENT_BYTES = ManagerLink.SLOT_BYTES;

    private ExecutorMain() {
    }

    public static void main(String[] args) {
        SegmentKinds.load(); // before anything is compiled (see there)
        // The executor's transports, without a search of the class path at each open.
        Transports.register(new ShmTransportProvider(), new TcpTransportProvider(), new FabricTransportProvider());
        if (args.length == 2 && args[0].equals("--train")) {
            ExecutorLogging.setUp();
            train(Path.of(args[1]));
            return;
        }
        ExecutorLogging.startInBackground();
        Executor executor;
        try {
            executor = parse(args, System.getenv(SPAWN_SECRET_ENV));
        } catch (IllegalArgumentException e) {
            System.err.println("rfaas-executor: " + e.getMessage());
            System.exit(2);
            return;
        }
        Thread hook = new Thread(() -> executor.stop(LeaseEndReason.MANAGER_SHUTDOWN, Duration.ofSeconds(3)),
                "rfaas-executor-sigterm");
        Runtime.getRuntime().addShutdownHook(hook);
        int code = executor.run();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // SIGTERM arrived: the hook is running and waits for run() above, which is done.
        }
        System.exit(code);
    }

    /**
     * Reads {@code --manager ADDRESS [--spare [--preload ADDRESS,...] [--preload-package
     * SHA256:PATH]]} and the spawn secret.
     *
     * @throws IllegalArgumentException naming what is missing or bad
     */
    static Executor parse(String[] args, String secret) {
        String usage = "usage: --manager ADDRESS [--spare [--preload ADDRESS,...] [--preload-package SHA256:PATH]"
                + " | --assignment PATH], got " + String.join(" ", args);
        if (args.length < 2 || !args[0].equals("--manager")) {
            throw new IllegalArgumentException(usage);
        }
        boolean spare = args.length >= 3 && args[2].equals("--spare");
        List<String> transports = List.of();
        PreloadedPackage.Source preloadPackage = null;
        int i = spare ? 3 : 2;
        // Each option once, in this order.
        if (spare && i + 1 < args.length && args[i].equals("--preload")) {
            transports = List.of(args[i + 1].split(","));
            i += 2;
        }
        if (spare && i + 1 < args.length && args[i].equals("--preload-package")) {
            preloadPackage = PreloadedPackage.Source.parse(args[i + 1]);
            i += 2;
        }
        Path staged = null;
        if (!spare && i + 1 < args.length && args[i].equals("--assignment")) {
            staged = Path.of(args[i + 1]); // read by the executor, off its main thread (StagedAssignment)
            i += 2;
        }
        if (i != args.length) {
            throw new IllegalArgumentException(usage);
        }
        if (secret == null) {
            throw new IllegalArgumentException("missing " + SPAWN_SECRET_ENV);
        }
        for (String t : transports) {
            int colon = t.indexOf(':');
            if (!Transports.schemes().contains(colon < 0 ? t : t.substring(0, colon))) {
                throw new IllegalArgumentException("--preload: unknown transport '" + t + "' (known: "
                        + Transports.schemes() + ")");
            }
        }
        try {
            return new Executor(args[1], Long.parseLong(secret), spare, transports, preloadPackage, staged);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(SPAWN_SECRET_ENV + " is not a number");
        }
    }

    /**
     * The training run of the AOT cache (see {@link ExecutorTraining}): exits 0 when every step
     * worked, so that the JVM writes the cache; 1 otherwise.
     */
    private static void train(Path dir) {
        try {
            ExecutorTraining.run(dir);
        } catch (IOException | RuntimeException e) {
            System.err.println("rfaas-executor: training failed: " + e);
            e.printStackTrace();
            System.exit(1);
        }
        System.exit(0);
    }
}
