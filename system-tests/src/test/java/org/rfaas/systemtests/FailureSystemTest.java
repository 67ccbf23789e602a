package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.ExecutorLostException;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.LeaseRevokedException;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.client.WaitMode;
import org.rfaas.examples.ExamplePackages;
import org.rfaas.executormanager.ExecutorManager;
import org.rfaas.executormanager.ExecutorManagerConfig;
import org.rfaas.executormanager.LeaseRecord;
import org.rfaas.protocol.LeaseAccounting;

/**
 * Failures and billing, with the executor manager in this JVM (so the test can read its
 * leases and accounting) and real executor JVMs: executor killed mid-call, client killed, lease
 * revoked, and the hot to warm switch seen in the hot-polling time.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class FailureSystemTest {
    Path dir;
    ExecutorManager manager;
    RfaasClient client;
    Path jar;
    Process clientProcess;

    /** The manager's listen address, e.g. {@code tcp://127.0.0.1:0}. */
    abstract String listenAddress();

    @BeforeEach
    void start() throws Exception {
        dir = SystemTestSupport.tempDir("failure");
        manager = new ExecutorManager(ExecutorManagerConfig.of("node0", List.of(listenAddress()), 4, 4096,
                dir.resolve("work")).withGracePeriodMillis(1000), null);
        String address = manager.start().getFirst();
        client = RfaasClient.builder().leaseSource(SystemTestSupport.database("node0", address, 4, 4096)).build();
        jar = ExamplePackages.writeJar(dir.resolve("examples.jar"));
    }

    @AfterEach
    void stop() {
        try {
            if (clientProcess != null) {
                clientProcess.destroyForcibly();
            }
            client.close();
        } finally {
            manager.close();
            SystemTestSupport.deleteTree(dir);
        }
    }

    @Test
    void killingTheExecutorMidCallFailsPendingCallsWithinTwoSecondsAndFreesTheLease() throws Exception {
        RemoteExecutor e = client.allocate(AllocationSpec.of(2, 128, HotTimeout.ALWAYS_WARM, FunctionPackage.jar(jar),
                64, 64));
        CompletableFuture<byte[]> a = e.invokeAsync("sleep", "20000".getBytes(StandardCharsets.US_ASCII), 0);
        CompletableFuture<byte[]> b = e.invokeAsync("sleep", "20000".getBytes(StandardCharsets.US_ASCII), 1);
        Thread.sleep(300);
        LeaseRecord lease = manager.activeLeases().iterator().next();
        ProcessHandle executor = ProcessHandle.of(lease.executorPid()).orElseThrow();
        long killed = System.nanoTime();
        executor.destroyForcibly();
        for (CompletableFuture<byte[]> f : List.of(a, b)) {
            ExecutionException x = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
            assertInstanceOf(ExecutorLostException.class, x.getCause());
        }
        long failedAfterMillis = (System.nanoTime() - killed) / 1_000_000;
        assertTrue(failedAfterMillis < 2_000, "pending calls failed " + failedAfterMillis + " ms after SIGKILL");
        assertThrows(ExecutorLostException.class, () -> e.invoke("echo", new byte[] {1}));
        waitFor(() -> manager.activeLeases().isEmpty() && manager.freeCores() == 4, "lease reclaimed");
        e.close();
    }

    @Test
    void killingTheClientMakesTheManagerReclaimItsExecutor() throws Exception {
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", SystemTestSupport.CHILD_LOGGING, "-cp", System.getProperty("java.class.path"),
                ClientMain.class.getName(), manager.addresses().getFirst(), jar.toString());
        clientProcess = new ProcessBuilder(cmd).redirectError(dir.resolve("client.log").toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(clientProcess.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        while (line != null && !line.startsWith("ready ")) {
            line = out.readLine(); // logback status lines, if any
        }
        assertTrue(line != null && line.startsWith("ready "), "client said " + line);
        long leaseId = Long.parseLong(line.substring(6).trim());
        LeaseRecord lease = manager.activeLeases().iterator().next();
        assertEquals(leaseId, lease.leaseId());
        ProcessHandle executor = ProcessHandle.of(lease.executorPid()).orElseThrow();
        clientProcess.destroyForcibly();
        waitFor(() -> manager.activeLeases().isEmpty() && !executor.isAlive() && manager.freeCores() == 4,
                "executor of the dead client stopped and its lease reclaimed");
        LeaseAccounting a = manager.endedLeaseAccounting(leaseId);
        assertEquals(1, a.invocations());
    }

    @Test
    void aRevokedLeaseFailsCallsWithLeaseRevoked() throws Exception {
        RemoteExecutor e = client.allocate(AllocationSpec.of(1, 128, HotTimeout.ALWAYS_WARM, FunctionPackage.jar(jar),
                64, 64));
        e.invoke("echo", new byte[] {1});
        assertTrue(manager.revoke(e.leaseId()));
        waitFor(() -> {
            try {
                e.invoke("echo", new byte[] {1}, WaitMode.WARM);
                return false;
            } catch (LeaseRevokedException expected) {
                return true;
            }
        }, "calls fail with LeaseRevokedException");
        waitFor(() -> manager.activeLeases().isEmpty(), "revoked lease ended");
        e.close();
    }

    @Test
    void hotPollingTimeStopsGrowingAfterTheHotTimeout() throws Exception {
        RemoteExecutor e = client.allocate(AllocationSpec.of(1, 128, HotTimeout.ofMicros(300_000),
                FunctionPackage.jar(jar), 64, 64));
        e.invoke("echo", new byte[] {1}, WaitMode.WARM);
        Thread.sleep(1_200);
        long first = manager.currentAccounting(e.leaseId()).hotPollNanos();
        Thread.sleep(1_000);
        long second = manager.currentAccounting(e.leaseId()).hotPollNanos();
        assertTrue(first >= 250_000_000L, "hot polling " + first + " ns after a 300 ms hot timeout");
        assertEquals(first, second, "hot-polling time kept growing while warm");
        e.invoke("echo", new byte[] {1}, WaitMode.WARM);
        Thread.sleep(1_200);
        long third = manager.currentAccounting(e.leaseId()).hotPollNanos();
        assertTrue(third >= second + 250_000_000L, "hot again after serving: " + second + " -> " + third);
        LeaseAccounting total = e.release();
        assertEquals(third, total.hotPollNanos());
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(50);
        }
    }
}
