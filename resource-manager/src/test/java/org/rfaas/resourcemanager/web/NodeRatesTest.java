package org.rfaas.resourcemanager.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.rmclient.NodeActivity;
import org.rfaas.resourcemanager.StateObserver;

/** Per-node rates from heartbeat totals, and the resource manager's checks of the heartbeat body. */
final class NodeRatesTest {
    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void ratesAreDifferencesOverTimeAndARestartIsABaseline() {
        NodeRates rates = new NodeRates();
        rates.record("n1", new NodeActivity(100, 0, 1, 5_000_000), 10_000);
        Map<String, Object> n1 = (Map<String, Object>) rates.snapshot(10_000).get("n1");
        assertNull(n1.get("invocationsPerSecond"), "one heartbeat gives no rate");
        assertEquals(100L, n1.get("invocations"));

        rates.record("n1", new NodeActivity(2100, 10, 3, 25_000_000), 12_000);
        n1 = (Map<String, Object>) rates.snapshot(12_500).get("n1");
        assertEquals(1000.0, n1.get("invocationsPerSecond"));
        assertEquals(1.0, n1.get("coldStartsPerSecond"));
        assertEquals(10.0, n1.get("coldStartMeanMillis"));
        assertEquals(1, ((List<double[]>) n1.get("history")).size());

        rates.record("n1", new NodeActivity(50, 0, 0, 0), 14_000); // the manager restarted
        n1 = (Map<String, Object>) rates.snapshot(14_000).get("n1");
        assertNull(n1.get("invocationsPerSecond"), "a restart is a new baseline, not a negative rate");
        assertEquals(50L, n1.get("invocations"));

        rates.record("n1", new NodeActivity(150, 0, 0, 0), 15_000);
        assertEquals(100.0, ((Map<String, Object>) rates.snapshot(15_000).get("n1")).get("invocationsPerSecond"));
        assertNull(((Map<String, Object>) rates.snapshot(15_000 + NodeRates.STALE_MILLIS + 1).get("n1"))
                .get("invocationsPerSecond"), "a node that stopped heartbeating shows no current rate");

        rates.nodeEvent("n1", StateObserver.NODE_REMOVED);
        assertTrue(rates.snapshot(15_000).isEmpty());
    }

    @Test
    @SuppressWarnings("unchecked")
    void onlyTheBusiestNodesAreCharted() {
        NodeRates rates = new NodeRates();
        int nodes = NodeRates.CHART_NODES + 4;
        for (int i = 0; i < nodes; i++) {
            rates.record("n" + i, NodeActivity.ZERO, 1_000);
            rates.record("n" + i, new NodeActivity(i * 10L, 0, 0, 0), 2_000);
        }
        Map<String, Object> s = rates.snapshot(2_000);
        assertEquals(nodes, s.size());
        long charted = s.values().stream().filter(m -> ((Map<String, Object>) m).containsKey("history")).count();
        assertEquals(NodeRates.CHART_NODES, charted);
        assertTrue(((Map<String, Object>) s.get("n" + (nodes - 1))).containsKey("history"));
        assertFalse(((Map<String, Object>) s.get("n0")).containsKey("history"));
    }

    @Test
    void theHeartbeatBodyIsOptionalAndChecked() throws Exception {
        try (ObservedCluster c = ObservedCluster.start(dir, false)) {
            c.addNode("hb", 2, 1024);
            assertEquals(200, c.heartbeat("hb", null).status(), "no body: an older manager");
            assertEquals(200, c.heartbeat("hb", """
                    {"invocations": 5, "failedInvocations": 1, "coldStarts": 1, "coldStartNanos": 7000000}""").status());
            for (String bad : List.of(
                    "{\"invocations\": -1, \"failedInvocations\": 0, \"coldStarts\": 0, \"coldStartNanos\": 0}",
                    "{\"invocations\": 1, \"failedInvocations\": 2, \"coldStarts\": 0, \"coldStartNanos\": 0}",
                    "{\"invocations\": 1, \"failedInvocations\": 0, \"coldStarts\": 0}",
                    "{\"invocations\": 1, \"failedInvocations\": 0, \"coldStarts\": 0, \"coldStartNanos\": 0, \"x\": 1}",
                    "{\"invocations\": \"many\"}", "not json", "[]")) {
                ObservedCluster.Answer a = c.heartbeat("hb", bad);
                assertEquals(400, a.status(), bad + " -> " + a.body());
            }
            assertEquals(401, c.call("POST", "/v1/nodes/hb/heartbeat", "{}", "not-the-node-credential").status());
        }
    }
}
