package org.rfaas.resourcemanager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.client.AllocationRefusedException;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.LeaseOffer;
import org.rfaas.client.LeaseSource;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.client.RfaasException;
import org.rfaas.client.rm.ResourceManagerLeaseSource;
import org.rfaas.examples.ExamplePackages;
import org.rfaas.protocol.rm.LeaseBilling;
import org.rfaas.protocol.rm.LeaseInfo;
import org.rfaas.protocol.rm.NodeInfo;

/**
 * The whole path with real processes: a resource manager, two executor managers (child JVMs, each
 * with the resource-manager link), executor JVMs spawned per lease, and clients that lease through
 * the resource manager.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
final class ClusterIntegrationTest {
    /** Under target/ so that the executor-manager and executor logs survive a failure. */
    private static Path dir;

    private static ResourceManagerProcess rm;
    private static final List<Process> managers = new ArrayList<>();
    private static FunctionPackage jar;

    @BeforeAll
    static void startCluster() throws Exception {
        dir = Files.createDirectories(Path.of("target", "it-cluster-" + System.currentTimeMillis()).toAbsolutePath());
        rm = ResourceManagerProcess.start(dir, 5_000, "first-fit");
        for (String node : List.of("em-a", "em-b")) {
            managers.add(startManager(node));
        }
        waitFor(() -> rm.admin().listNodes().size() == 2, "both executor managers registered");
        jar = FunctionPackage.jar(ExamplePackages.writeJar(dir.resolve("examples.jar")));
    }

    @AfterAll
    static void stopCluster() throws Exception {
        for (Process p : managers) {
            p.getOutputStream().close();
        }
        for (Process p : managers) {
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
        if (rm != null) {
            rm.close();
        }
    }

    private static Process startManager(String node) throws IOException {
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
        String line = CompletableFuture.supplyAsync(() -> {
            try {
                return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
            } catch (IOException e) {
                return null;
            }
        }).orTimeout(30, TimeUnit.SECONDS).exceptionally(e -> null).join();
        if (line == null || !line.contains("plugins 1")) {
            p.destroyForcibly();
            throw new IOException("executor manager " + node + " did not start with its link: " + line + "\n"
                    + Files.readString(dir.resolve(node + ".log")));
        }
        return p;
    }

    private static RfaasClient client(String tenant) {
        return RfaasClient.builder().leaseSource(new ResourceManagerLeaseSource(rm.uri(), tenant)).build();
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(100);
        }
    }

    private static int activeLeases() {
        return rm.admin().listLeases("ACTIVE").size();
    }

    @Test
    void leasesFillTheClusterInvokeAndAreBilled() throws Exception {
        try (RfaasClient alice = client("it-alice")) {
            RemoteExecutor a = alice.allocate(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_WARM, jar, 4096, 4096));
            RemoteExecutor b = alice.allocate(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_WARM, jar, 4096, 4096));
            assertEquals(List.of("em-a", "em-b"), List.of(a.node(), b.node()));
            assertArrayEquals("hello".getBytes(), a.invoke("echo", "hello".getBytes()));
            assertArrayEquals("world".getBytes(), b.invoke("echo", "world".getBytes()));
            for (NodeInfo n : rm.admin().listNodes()) {
                assertEquals(0, n.freeCores(), n.name() + " is fully leased");
            }
            AllocationRefusedException refused = assertThrows(AllocationRefusedException.class,
                    () -> alice.allocate(AllocationSpec.of(1, 64, HotTimeout.ALWAYS_WARM, jar, 4096, 4096)));
            assertTrue(refused.getMessage().contains("no node has 1 free core(s)"), refused.getMessage());
            long idA = a.leaseId();
            a.close();
            b.close();
            waitFor(() -> rm.admin().billing().leases().stream().anyMatch(l -> l.leaseId() == idA), "lease " + idA + " is billed");
            LeaseBilling bill = rm.admin().billing().leases().stream().filter(l -> l.leaseId() == idA).findFirst().orElseThrow();
            assertEquals("it-alice", bill.tenant());
            assertEquals("em-a", bill.node());
            assertTrue(bill.allocationNanos() > 0 && bill.memoryMiBSeconds() > 0, bill.toString());
            waitFor(() -> activeLeases() == 0, "both leases ended");
            assertEquals(1, rm.admin().node("em-a").freeCores());
        }
    }

    @Test
    void drainStopsTheExecutorAndTheClientGetsATypedError() throws Exception {
        try (RfaasClient bob = client("it-bob")) {
            RemoteExecutor e = bob.allocate(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_WARM, jar, 4096, 4096));
            assertArrayEquals("x".getBytes(), e.invoke("echo", "x".getBytes()));
            String node = e.node();
            rm.admin().drainNode(node);
            try {
                // the link learns of the revocation at its next heartbeat and stops the executor
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                RfaasException failure = null;
                while (failure == null && System.nanoTime() < deadline) {
                    try {
                        e.invoke("echo", "x".getBytes());
                        Thread.sleep(100);
                    } catch (RfaasException ex) {
                        failure = ex;
                    }
                }
                assertTrue(failure != null, "invocations kept working on a drained node");
                LeaseInfo info = rm.admin().lease(e.leaseId(), null);
                assertEquals("REVOKED", info.state());
                long id = e.leaseId();
                waitFor(() -> rm.admin().billing().leases().stream().anyMatch(l -> l.leaseId() == id), "the revoked lease is billed");
            } finally {
                rm.admin().resumeNode(node);
                e.close();
            }
        }
    }

    @Test
    void expiryStopsTheExecutorAndFreesCapacity() throws Exception {
        try (RfaasClient carol = client("it-carol")) {
            RemoteExecutor e = carol.allocate(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_WARM, jar, 4096, 4096)
                    .withLeaseDuration(Duration.ofMillis(10_000)));
            assertArrayEquals("y".getBytes(), e.invoke("echo", "y".getBytes()));
            long id = e.leaseId();
            waitFor(() -> "EXPIRED".equals(rm.admin().lease(id, null).state()), "the lease expired at the resource manager");
            waitFor(() -> {
                try {
                    e.invoke("echo", "y".getBytes());
                    return false;
                } catch (RfaasException ex) {
                    return true;
                }
            }, "the executor of the expired lease stopped");
            waitFor(() -> rm.admin().billing().leases().stream().anyMatch(l -> l.leaseId() == id), "the expired lease is billed");
            waitFor(() -> rm.admin().listNodes().stream().allMatch(n -> n.freeCores() == 1), "capacity is back");
            e.close();
        }
    }

    @Test
    void aForgedTokenIsRefusedByTheExecutorManager() throws Exception {
        var grant = rm.client().requestLease(1, 64, 60_000, "it-mallory");
        String forged = grant.token().substring(0, grant.token().length() - 2) + (grant.token().endsWith("A") ? "BB" : "AA");
        LeaseSource forger = new LeaseSource() {
            @Override
            public LeaseOffer acquire(int cores, long memoryMiB, Duration duration) {
                return new LeaseOffer(grant.node(), grant.nodeAddress(), grant.leaseId(), forged, grant.expiresAtEpochMillis());
            }
        };
        try (RfaasClient mallory = RfaasClient.builder().leaseSource(forger).build()) {
            AllocationRefusedException e = assertThrows(AllocationRefusedException.class,
                    () -> mallory.allocate(AllocationSpec.of(1, 64, HotTimeout.ALWAYS_WARM, jar, 4096, 4096)));
            assertTrue(e.getMessage().contains("signature"), e.getMessage());
        } finally {
            rm.client().releaseLease(grant);
        }
    }
}
