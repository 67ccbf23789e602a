package org.rfaas.resourcemanager;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.client.RfaasException;
import org.rfaas.client.rm.ResourceManagerLeaseSource;
import org.rfaas.examples.ExamplePackages;

/**
 * A small real cluster for the integration tests: a resource manager process and two executor
 * manager processes ({@code em-a}, {@code em-b}, one core each) with the resource-manager link; the
 * executors they spawn are processes too. Logs stay under {@code target/it-cluster-*}.
 */
final class TestCluster implements AutoCloseable {
    final Path dir;
    final ResourceManagerProcess rm;
    final FunctionPackage jar;
    private final List<Process> managers = new ArrayList<>();

    private TestCluster(Path dir, ResourceManagerProcess rm) {
        this.dir = dir;
        this.rm = rm;
        this.jar = FunctionPackage.jar(ExamplePackages.writeJar(dir.resolve("examples.jar")));
    }

    static TestCluster start() throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "it-cluster-" + System.nanoTime()).toAbsolutePath());
        TestCluster c = new TestCluster(dir, ResourceManagerProcess.start(dir, 5_000, "first-fit"));
        try {
            for (String node : List.of("em-a", "em-b")) {
                c.startManager(node);
            }
            waitFor(() -> c.rm.admin().listNodes().size() == 2, "both executor managers registered");
            return c;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    private Process startManager(String node) throws IOException {
        Path config = dir.resolve(node + ".json");
        Files.writeString(config, """
                {"node": "%s", "listen": ["tcp://127.0.0.1:0"], "cores": 1, "memoryMiB": 1024, "workDir": "%s",
                 "gracePeriodMillis": 1000, "clusterSecret": "%s",
                 "resourceManager": {"url": "%s", "heartbeatMillis": 200}}
                """.formatted(node, dir.resolve(node), ResourceManagerProcess.SECRET, rm.uri()));
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Xmx128m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), ExecutorManagerNode.class.getName(), config.toString())
                .redirectError(dir.resolve(node + ".log").toFile()).start();
        managers.add(p);
        String line = CompletableFuture.supplyAsync(() -> {
            try {
                return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
            } catch (IOException e) {
                return null;
            }
        }).orTimeout(90, TimeUnit.SECONDS).exceptionally(e -> null).join();
        if (line == null || !line.contains("plugins 1")) {
            throw new IOException("executor manager " + node + " did not start with its link: " + line + "\n"
                    + Files.readString(dir.resolve(node + ".log")));
        }
        return p;
    }

    /** A client of a new tenant that leases over the resource manager's binary lease endpoint. */
    RfaasClient leaseEndpointClient(String tenant) {
        return RfaasClient.builder().leaseSource(TestTenants.leases(rm.uri(), rm.leaseEndpoint, rm.admin(), tenant)).build();
    }

    RfaasClient client(String tenant) {
        return RfaasClient.builder().leaseSource(TestTenants.leases(rm.uri(), rm.admin(), tenant)).build();
    }

    boolean billed(long leaseId) {
        return rm.admin().billing().leases().stream().anyMatch(l -> l.leaseId() == leaseId);
    }

    static boolean fails(RemoteExecutor e) {
        try {
            e.invoke("echo", "?".getBytes());
            return false;
        } catch (RfaasException ex) {
            return true;
        }
    }

    static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(100);
        }
    }

    /** Managers stop their executors when stdin closes; anything left is killed. */
    @Override
    public void close() throws Exception {
        for (Process p : managers) {
            p.getOutputStream().close();
        }
        for (Process p : managers) {
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
        rm.close();
    }
}
