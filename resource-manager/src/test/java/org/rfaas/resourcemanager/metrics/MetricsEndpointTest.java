package org.rfaas.resourcemanager.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.resourcemanager.web.ObservedCluster;
import org.rfaas.resourcemanager.web.ObservedCluster.Answer;

/**
 * Scrapes {@code GET /metrics} of a resource manager with nodes, leases, refusals, a release, a
 * billing report and a drain behind it, parses it strictly as Prometheus text format 0.0.4, and
 * checks every number against the state the API reports.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
final class MetricsEndpointTest {
    private static final double MIB = 1024.0 * 1024.0;

    @TempDir
    Path dir;

    @Test
    void metricsMatchTheClusterState() throws Exception {
        try (ObservedCluster c = ObservedCluster.start(dir, false)) {
            c.addNode("n1", 8, 8192);
            c.addNode("n2", 4, 4096);
            c.lease("alice", 3, 1024);                      // n1, first fit
            c.lease("bob", 2, 512);                         // n1
            JsonNode l3 = c.lease("alice", 1, 256);         // n1
            JsonNode l4 = c.lease("carol", 4, 2048);        // n1 has 2 free: n2
            JsonNode l5 = c.lease("bob", 1, 128);           // n1
            assertEquals("n2", l4.get("node").asText());
            assertEquals(409, c.requestLease("alice", 16, 64).status());   // no node that big
            assertEquals(409, c.requestLease("bob", 2, 64).status());      // n1 has 1 free, n2 none
            c.release(l3);
            c.bill(l5, 2_000_000_000L, 1_500_000_000L, 250_000_000L, 12.5); // ends l5
            c.drain("n2");                                                  // revokes l4
            c.lease("carol", 1, 64);                        // n1
            // now: n1 UP with leases 3+2+1 cores, 1024+512+64 MiB; n2 DRAINING, empty

            Answer scrape = c.call("GET", "/metrics", null, ObservedCluster.ADMIN);
            assertEquals(200, scrape.status(), scrape.body());
            assertTrue(scrape.contentType().startsWith("text/plain; version=0.0.4"), scrape.contentType());
            Files.writeString(Files.createDirectories(Path.of("target", "metrics")).resolve("scrape.txt"), scrape.body());
            PrometheusText m = PrometheusText.parse(scrape.body());

            assertEquals("gauge", m.type("rfaas_rm_nodes"));
            assertEquals(1, m.value("rfaas_rm_nodes", "state", "UP"));
            assertEquals(1, m.value("rfaas_rm_nodes", "state", "DRAINING"));
            assertEquals(0, m.value("rfaas_rm_nodes", "state", "DOWN"));
            assertEquals(3, m.value("rfaas_rm_leases_active"));
            assertEquals(12, m.value("rfaas_rm_cluster_cores_capacity"));
            assertEquals(6, m.value("rfaas_rm_cluster_cores_used"));
            assertEquals(6, m.value("rfaas_rm_cluster_cores_free"));
            assertEquals((8192 + 4096) * MIB, m.value("rfaas_rm_cluster_memory_capacity_bytes"));
            assertEquals(1600 * MIB, m.value("rfaas_rm_cluster_memory_used_bytes"));
            assertEquals((8192 + 4096 - 1600) * MIB, m.value("rfaas_rm_cluster_memory_free_bytes"));
            assertEquals(6, m.value("rfaas_rm_node_cores_used", "node", "n1"));
            assertEquals(2, m.value("rfaas_rm_node_cores_free", "node", "n1"));
            assertEquals(0, m.value("rfaas_rm_node_cores_used", "node", "n2"));
            assertEquals(4096 * MIB, m.value("rfaas_rm_node_memory_free_bytes", "node", "n2"));
            assertEquals(3, m.value("rfaas_rm_node_leases_active", "node", "n1"));
            assertEquals(1, m.value("rfaas_rm_node_state", "node", "n2", "state", "DRAINING"));
            assertEquals(0, m.value("rfaas_rm_node_state", "node", "n2", "state", "UP"));

            // the gauges agree with the API's own view
            JsonNode nodes = c.call("GET", "/v1/nodes", null, ObservedCluster.ADMIN).json();
            double used = 0;
            for (JsonNode n : nodes) {
                used += n.get("cores").asInt() - n.get("freeCores").asInt();
            }
            assertEquals(used, m.value("rfaas_rm_cluster_cores_used"));
            assertEquals(m.value("rfaas_rm_leases_active"),
                    c.call("GET", "/v1/leases?state=ACTIVE", null, ObservedCluster.ADMIN).json().size());

            assertEquals("counter", m.type("rfaas_rm_leases_granted_total"));
            assertEquals(6, m.value("rfaas_rm_leases_granted_total"));
            assertEquals(1, m.value("rfaas_rm_leases_refused_total", "reason", "too_large"));
            assertEquals(1, m.value("rfaas_rm_leases_refused_total", "reason", "no_free_capacity"));
            assertEquals(2, m.value("rfaas_rm_leases_ended_total", "state", "released"));
            assertEquals(1, m.value("rfaas_rm_leases_ended_total", "state", "revoked"));
            assertEquals(0, m.value("rfaas_rm_leases_ended_total", "state", "expired"));
            assertEquals(2, m.value("rfaas_rm_node_events_total", "event", "added"));
            assertEquals(1, m.value("rfaas_rm_node_events_total", "event", "drained"));

            assertEquals("histogram", m.type("rfaas_rm_lease_grant_seconds"));
            assertEquals(6, m.value("rfaas_rm_lease_grant_seconds_count"));
            assertTrue(m.value("rfaas_rm_lease_grant_seconds_sum") > 0);
            assertEquals(6, m.value("rfaas_rm_lease_grant_seconds_bucket", "le", "+Inf"));

            assertEquals(1, m.value("rfaas_rm_billing_leases_total", "tenant", "bob"));
            assertEquals(2.0, m.value("rfaas_rm_billing_allocation_seconds_total", "tenant", "bob"), 1e-9);
            assertEquals(1.5, m.value("rfaas_rm_billing_compute_seconds_total", "tenant", "bob"), 1e-9);
            assertEquals(0.25, m.value("rfaas_rm_billing_hot_polling_seconds_total", "tenant", "bob"), 1e-9);
            assertEquals(12.5, m.value("rfaas_rm_billing_memory_mib_seconds_total", "tenant", "bob"), 1e-9);
            assertTrue(m.samples("rfaas_rm_billing_leases_total").stream().noneMatch(s -> s.labels().get("tenant").equals("alice")));

            assertEquals(6, m.value("rfaas_rm_http_requests_total", "method", "POST", "route", "/v1/leases", "status", "201"));
            assertEquals(2, m.value("rfaas_rm_http_requests_total", "method", "POST", "route", "/v1/leases", "status", "409"));
            assertEquals(1, m.value("rfaas_rm_http_requests_total", "method", "POST", "route", "/v1/nodes/{name}/drain",
                    "status", "200"));
        }
    }

    @Test
    void metricsAskForTheAdminTokenUnlessOpened(@TempDir Path other) throws Exception {
        try (ObservedCluster c = ObservedCluster.start(dir, false)) {
            assertEquals(401, c.call("GET", "/metrics", null, null).status());
            assertEquals(401, c.call("GET", "/metrics", null, "not-the-admin-token-at-all").status());
            assertEquals(401, c.call("GET", "/metrics", null, ObservedCluster.ADMIN + "x").status());
            c.call("GET", "/no/such/path/" + System.nanoTime(), null, null);
            PrometheusText m = PrometheusText.parse(c.call("GET", "/metrics", null, ObservedCluster.ADMIN).body());
            assertEquals(3, m.value("rfaas_rm_http_requests_total", "method", "GET", "route", "/metrics", "status", "401"));
            // a garbage path is counted under one bounded label, not under its own name
            assertEquals(1, m.value("rfaas_rm_http_requests_total", "method", "GET", "route", "unmatched", "status", "404"));
        }
        try (ObservedCluster open = ObservedCluster.start(other, true)) {
            Answer a = open.call("GET", "/metrics", null, null);
            assertEquals(200, a.status());
            assertEquals(0, PrometheusText.parse(a.body()).value("rfaas_rm_leases_active"));
        }
    }
}
