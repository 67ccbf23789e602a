package org.rfaas.resourcemanager.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.client.AllocationRefusedException;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.ExecutorNode;
import org.rfaas.client.ExecutorsDatabase;
import org.rfaas.client.FunctionFailedException;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.client.rm.ResourceManagerLeaseSource;
import org.rfaas.examples.ExamplePackages;
import org.rfaas.executormanager.ExecutorManager;
import org.rfaas.executormanager.ExecutorManagerConfig;
import org.rfaas.executormanager.ExecutorManagerPlugin;
import org.rfaas.executormanager.ResourceManagerLinkConfig;
import org.rfaas.resourcemanager.web.ObservedCluster;
import org.rfaas.rmclient.NodeActivity;

/**
 * Scrapes {@code /metrics} of both daemons — a resource manager and a real executor manager with
 * its resource-manager link, serving a real client's lease with a forked executor — parses both
 * strictly as Prometheus text, and checks the numbers against what happened: invocations and
 * failures as the executor flushed them, the cold start, a refusal, the release.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
final class DaemonMetricsTest {
    private static final double MIB = 1024.0 * 1024.0;
    private static final int CALLS = 25;
    private static final int FAILURES = 3;
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void bothDaemonsExportWhatTheyServed() throws Exception {
        try (ObservedCluster rm = ObservedCluster.start(dir.resolve("rm"), true)) {
            ExecutorManagerConfig config = new ExecutorManagerConfig("metrics-node", List.of("tcp://127.0.0.1:0"), 2, 1024,
                    dir.resolve("em"), 0, 1000, 50, null, ObservedCluster.SECRET,
                    new ResourceManagerLinkConfig(rm.uri(), 100), 0, 0L, null, null, "127.0.0.1:0");
            ExecutorManager manager = new ExecutorManager(config, null);
            List<AutoCloseable> plugins = new ArrayList<>();
            try {
                String address = manager.start().getFirst();
                for (ExecutorManagerPlugin p : ServiceLoader.load(ExecutorManagerPlugin.class)) {
                    plugins.add(p.attach(manager));
                }
                assertNotNull(manager.metricsUrl(), "the config asks for metrics");
                FunctionPackage jar = FunctionPackage.jar(ExamplePackages.writeJar(dir.resolve("examples.jar")));
                waitFor(() -> scrape(rm.uri() + "/metrics").value("rfaas_rm_nodes", "state", "UP") == 1,
                        "the node registered");

                // an allocation the manager refuses: a lease not signed by the resource manager
                try (RfaasClient rogue = RfaasClient.builder().leaseSource(new ExecutorsDatabase(
                        List.of(new ExecutorNode("metrics-node", address, 2, 1024)))).build()) {
                    assertThrows(AllocationRefusedException.class, () -> rogue.allocate(
                            AllocationSpec.of(1, 64, HotTimeout.ALWAYS_WARM, jar, 4096, 4096)));
                }

                long leaseId;
                try (RfaasClient client = RfaasClient.builder().leaseSource(org.rfaas.resourcemanager.TestTenants.leases(rm.uri(),
                        org.rfaas.rmclient.ResourceManagerClient.forAdmin(rm.uri(), ObservedCluster.ADMIN), "metrics-tenant")).build()) {
                    RemoteExecutor e = client.allocate(AllocationSpec.of(1, 256, HotTimeout.ALWAYS_WARM, jar, 4096, 4096));
                    leaseId = e.leaseId();
                    for (int i = 0; i < CALLS - FAILURES; i++) {
                        assertArrayEquals(("call " + i).getBytes(), e.invoke("echo", ("call " + i).getBytes()));
                    }
                    for (int i = 0; i < FAILURES; i++) {
                        assertThrows(FunctionFailedException.class, () -> e.invoke("fail", "on purpose".getBytes()));
                    }
                    // the executor flushes its counters every 50 ms: the scrape sees them while the lease lives
                    PrometheusText em = waitFor(manager.metricsUrl(),
                            m -> m.value("rfaas_em_invocations_total") == CALLS, "the executor flushed " + CALLS + " calls");
                    Files.writeString(Files.createDirectories(Path.of("target", "metrics")).resolve("em-scrape.txt"),
                            get(manager.metricsUrl()));
                    assertEquals("counter", em.type("rfaas_em_invocations_total"));
                    assertEquals(FAILURES, em.value("rfaas_em_failed_invocations_total"));
                    Map<String, String> lease = Map.of("lease", Long.toString(leaseId), "tenant", "metrics-tenant");
                    assertEquals(CALLS, em.value("rfaas_em_lease_invocations_total", lease));
                    assertEquals(FAILURES, em.value("rfaas_em_lease_failed_invocations_total", lease));
                    assertTrue(em.value("rfaas_em_lease_compute_seconds_total", lease) > 0);
                    assertEquals(1, em.value("rfaas_em_leases_active"));
                    assertEquals(2, em.value("rfaas_em_cores_capacity"));
                    assertEquals(1, em.value("rfaas_em_cores_used"));
                    assertEquals(1024 * MIB, em.value("rfaas_em_memory_capacity_bytes"));
                    assertEquals(256 * MIB, em.value("rfaas_em_memory_used_bytes"));
                    assertEquals(1, em.value("rfaas_em_allocations_total"));
                    assertEquals(1, em.value("rfaas_em_allocations_refused_total", "reason", "invalid_lease"));
                    assertEquals(0, em.value("rfaas_em_allocations_refused_total", "reason", "insufficient_capacity"));
                    assertEquals("histogram", em.type("rfaas_em_cold_start_seconds"));
                    assertEquals(1, em.value("rfaas_em_cold_start_seconds_count", "executor", "forked"));
                    assertEquals(0, em.value("rfaas_em_cold_start_seconds_count", "executor", "spare"));
                    assertTrue(em.value("rfaas_em_cold_start_seconds_sum", "executor", "forked") > 0);
                    assertEquals(0, em.value("rfaas_em_spare_executors"));

                    PrometheusText r = scrape(rm.uri() + "/metrics");
                    assertEquals(1, r.value("rfaas_rm_leases_granted_total"));
                    assertEquals(1, r.value("rfaas_rm_leases_active"));
                    assertEquals(1, r.value("rfaas_rm_cluster_cores_used"));
                    assertEquals(256 * MIB, r.value("rfaas_rm_cluster_memory_used_bytes"));
                    e.close();
                }

                PrometheusText em = waitFor(manager.metricsUrl(),
                        m -> m.value("rfaas_em_leases_ended_total", "reason", "released") == 1, "the lease ended");
                assertEquals(0, em.value("rfaas_em_leases_active"));
                assertEquals(0, em.value("rfaas_em_cores_used"));
                assertEquals(CALLS, em.value("rfaas_em_invocations_total"), "the ended lease's calls stay counted");
                assertEquals(FAILURES, em.value("rfaas_em_failed_invocations_total"));
                assertTrue(em.samples("rfaas_em_lease_invocations_total").isEmpty(), "no series for an ended lease");

                PrometheusText r = waitFor(rm.uri() + "/metrics",
                        m -> m.value("rfaas_rm_billing_leases_total", "tenant", "metrics-tenant") == 1, "the lease billed");
                assertEquals(0, r.value("rfaas_rm_leases_active"));
                assertEquals(1, r.value("rfaas_rm_leases_ended_total", "state", "released"));
                NodeActivity activity = manager.activity(); // what the heartbeats carry
                assertEquals(CALLS, activity.invocations());
                assertEquals(FAILURES, activity.failedInvocations());
                assertEquals(1, activity.coldStarts());
                assertTrue(activity.coldStartNanos() > 0);
            } finally {
                for (AutoCloseable p : plugins) {
                    p.close();
                }
                manager.close();
            }
        }
    }

    private PrometheusText scrape(String url) {
        return PrometheusText.parse(get(url));
    }

    private String get(String url) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                    r.headers().toString());
            return r.body();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private PrometheusText waitFor(String url, Predicate<PrometheusText> condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            PrometheusText m = scrape(url);
            try {
                if (condition.test(m)) {
                    return m;
                }
            } catch (AssertionError notYet) {
                // the series is not there yet
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what + "; last scrape:\n" + get(url));
            }
            Thread.sleep(50);
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(50);
        }
    }
}
