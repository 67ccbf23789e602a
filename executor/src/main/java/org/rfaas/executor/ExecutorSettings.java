package org.rfaas.executor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rfaas.protocol.PackageKind;

/**
 * What an executor process serves, as handed over by its executor manager on the command line
 * (secrets travel in the environment, where {@code ps} does not show them).
 *
 * @param leaseId the lease this executor serves
 * @param managerAddress where the manager's accounting counters live
 * @param clientAddress where the workers connect to
 * @param cores worker threads
 * @param hotTimeoutMicros busy-polling time after the last invocation: -1 always hot, 0 always warm
 * @param inputCapacity largest input
 * @param outputCapacity largest output
 * @param slots receive slots per worker
 * @param packageKind JAR or native
 * @param packagePath the package file in the lease's work directory
 * @param functionNames symbols to resolve for a native package
 * @param flushIntervalMillis how often accounting deltas go to the manager
 * @param spawnSecret proves to the manager that this process is the one it spawned
 * @param clientNonce proves to the client that the workers belong to its allocation
 */
public record ExecutorSettings(long leaseId, String managerAddress, String clientAddress, int cores,
        long hotTimeoutMicros, int inputCapacity, int outputCapacity, int slots, PackageKind packageKind,
        Path packagePath, List<String> functionNames, long flushIntervalMillis, long spawnSecret, long clientNonce) {

    /** Environment variable holding the spawn secret (decimal). */
    public static final String SPAWN_SECRET_ENV = "RFAAS_SPAWN_SECRET";
    /** Environment variable holding the client nonce (decimal). */
    public static final String CLIENT_NONCE_ENV = "RFAAS_CLIENT_NONCE";

    /** The command-line arguments that {@link #parse} reads back. */
    public List<String> toArguments() {
        List<String> args = new ArrayList<>(List.of("--lease-id", Long.toString(leaseId), "--manager", managerAddress,
                "--client", clientAddress, "--cores", Integer.toString(cores), "--hot-timeout-us",
                Long.toString(hotTimeoutMicros), "--input-capacity", Integer.toString(inputCapacity),
                "--output-capacity", Integer.toString(outputCapacity), "--slots", Integer.toString(slots),
                "--package-kind", packageKind.name(), "--package", packagePath.toString(),
                "--flush-interval-ms", Long.toString(flushIntervalMillis)));
        if (!functionNames.isEmpty()) {
            args.add("--functions");
            args.add(String.join(",", functionNames));
        }
        return args;
    }

    /**
     * Reads settings from {@code args} and secrets from the environment.
     *
     * @throws IllegalArgumentException naming the missing or bad argument
     */
    public static ExecutorSettings parse(String[] args, java.util.Map<String, String> env) {
        java.util.Map<String, String> a = new java.util.HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got '" + args[i] + "'");
            }
            a.put(args[i].substring(2), args[++i]);
        }
        String functions = a.getOrDefault("functions", "");
        return new ExecutorSettings(Long.parseLong(req(a, "lease-id")), req(a, "manager"), req(a, "client"),
                Integer.parseInt(req(a, "cores")), Long.parseLong(req(a, "hot-timeout-us")),
                Integer.parseInt(req(a, "input-capacity")), Integer.parseInt(req(a, "output-capacity")),
                Integer.parseInt(req(a, "slots")), PackageKind.valueOf(req(a, "package-kind")),
                Path.of(req(a, "package")), functions.isEmpty() ? List.of() : List.of(functions.split(",")),
                Long.parseLong(a.getOrDefault("flush-interval-ms", "100")),
                Long.parseLong(req(env, SPAWN_SECRET_ENV)), Long.parseLong(req(env, CLIENT_NONCE_ENV)));
    }

    private static String req(java.util.Map<String, String> map, String key) {
        String v = map.get(key);
        if (v == null) {
            throw new IllegalArgumentException("missing " + key);
        }
        return v;
    }
}
