package org.rfaas.resourcemanager.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens the live dashboard in a real headless chromium, checks that it shows the cluster's nodes,
 * leases and billing, changes the cluster through the HTTP API (drain a node, end a lease) and
 * sees the page follow without a reload. The screenshot is kept in
 * {@code target/dashboard/dashboard.png}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
final class DashboardBrowserTest {
    private static final long PATIENCE_MILLIS = 15_000; // pushed within ~0.5 s; slack for a loaded machine

    @TempDir
    Path dir;

    @Test
    void dashboardShowsTheClusterAndFollowsItLive() throws Exception {
        Path artifacts = Files.createDirectories(Path.of("target", "dashboard"));
        HeadlessChromium browser = null;
        try (ObservedCluster c = ObservedCluster.start(dir, false)) {
            c.addNode("node-a", 8, 8192);
            c.addNode("node-b", 4, 4096);
            JsonNode l1 = c.lease("alice", 3, 1024);      // node-a
            JsonNode l2 = c.lease("bob", 4, 2048);        // node-a (1 core left)
            JsonNode l3 = c.lease("carol", 2, 512);       // node-b
            JsonNode billed = c.lease("dave", 1, 256);    // node-a, then billed: it ends
            c.bill(billed, 3_000_000_000L, 2_000_000_000L, 500_000_000L, 64.0);
            assertEquals("node-b", l3.get("node").asText());

            // the data stream refuses without the admin token; the page itself holds no data
            assertEquals(401, c.call("GET", "/dashboard/stream", null, null).status());
            assertEquals(401, c.call("GET", "/dashboard/stream", null, "wrong-token-wrong-token").status());
            assertEquals(200, c.call("GET", "/dashboard", null, null).status());
            for (int i = 0; i < DashboardHub.MAX_CLIENTS + 8; i++) { // refused requests must not hold a page's place
                assertEquals(406, c.call("GET", "/dashboard/stream", null, ObservedCluster.ADMIN).status());
            }
            assertEquals(404, c.call("GET", "/dashboard/static/..%2Fdashboard.html", null, null).status());

            browser = HeadlessChromium.start(artifacts.resolve("chromium.log"));
            browser.navigate(c.uri() + "/dashboard#token=" + ObservedCluster.ADMIN);
            browser.waitFor("document.body.dataset.snapshots >= 1", PATIENCE_MILLIS, "a first snapshot");
            assertEquals("", browser.eval("location.hash").asText(), "the token must leave the address bar");
            assertEquals("node-a,node-b", rows(browser, "#nodes tr", "node"));
            assertEquals(ids(l3, l2, l1), rows(browser, "#leases tr", "lease"));
            assertEquals("dave", rows(browser, "#billing tr", "tenant"));
            assertTrue(browser.eval("document.querySelector('#leases tr[data-lease=\"" + l2.get("leaseId").asLong()
                    + "\"]').innerText").asText().contains("bob"));
            assertTrue(browser.eval("document.querySelector('#nodes tr[data-node=\"node-a\"]').innerText").asText()
                    .contains("7 / 8"), "node-a has 7 of 8 cores in use");
            assertTrue(browser.eval("document.querySelector('#billing tr').innerText").asText().contains("3.000 s"));
            assertEquals("function", browser.eval("typeof Chart").asText(), "the chart library is served from the jar");
            assertTrue(browser.eval("Chart.getChart('rates') !== undefined").asBoolean(), "the rate chart is drawn");
            browser.eval("window.rfaasNotReloaded = true");

            // node-a's manager reports what it served with its heartbeats: its rates appear per node
            assertEquals(200, c.heartbeat("node-a", activity(0, 0, 0)).status());
            Thread.sleep(300);
            assertEquals(200, c.heartbeat("node-a", activity(1500, 2, 3)).status());
            browser.waitFor("document.querySelector('#nodes tr[data-node=\"node-a\"] .calls-total').textContent === '1500'",
                    PATIENCE_MILLIS, "node-a's served calls");
            double perSecond = browser.eval("parseFloat(document.querySelector('#nodes tr[data-node=\"node-a\"] .rate-calls')"
                    + ".textContent)").asDouble();
            assertTrue(perSecond > 100 && perSecond <= 5000, "1500 calls in >= 300 ms: " + perSecond + "/s");
            assertTrue(browser.eval("document.querySelector('#nodes tr[data-node=\"node-a\"] .rate-cold').textContent")
                    .asText().contains("ms)"), "cold starts with their mean time");
            assertEquals("–", browser.eval("document.querySelector('#nodes tr[data-node=\"node-b\"] .rate-calls')"
                    + ".textContent").asText(), "node-b reported nothing");
            browser.waitFor("Chart.getChart('node-rates').data.datasets.map(d => d.label).join() === 'node-a'",
                    PATIENCE_MILLIS, "node-a on the per-node chart");

            c.drain("node-b");     // revokes l3
            c.release(l1);
            browser.waitFor("document.querySelector('#nodes tr[data-node=\"node-b\"]').dataset.state === 'DRAINING'",
                    PATIENCE_MILLIS, "node-b draining");
            browser.waitFor("document.querySelectorAll('#leases tr').length === 1", PATIENCE_MILLIS, "one lease left");
            assertEquals(ids(l2), rows(browser, "#leases tr", "lease"));
            browser.waitFor("document.querySelector('#events tr[data-event=\"node drained\"]') !== null", PATIENCE_MILLIS,
                    "the drain event");
            browser.waitFor("document.querySelector('#events tr[data-event=\"lease revoked\"]') !== null", PATIENCE_MILLIS,
                    "the revocation event");
            assertTrue(browser.eval("window.rfaasNotReloaded === true").asBoolean(), "the page must update without a reload");
            assertEquals("live", browser.eval("document.getElementById('status').textContent").asText());
            browser.waitFor("Chart.getChart('rates').data.datasets.find(d => d.label === 'granted').data"
                    + ".reduce((a, b) => a + b, 0) === 4", PATIENCE_MILLIS, "4 grants on the rate chart");
            Files.write(artifacts.resolve("dashboard.png"), browser.screenshot());

            // a wrong token: the page says so and shows no data
            browser.navigate("about:blank"); // a new document: only the fragment differs, which would not reload
            browser.navigate(c.uri() + "/dashboard#token=not-the-admin-token");
            browser.waitFor("document.getElementById('status').textContent.startsWith('refused')", PATIENCE_MILLIS,
                    "the refusal");
            assertFalse(browser.eval("document.getElementById('login').hidden").asBoolean());
            assertEquals(0, browser.eval("document.querySelectorAll('#nodes tr').length").asInt());
        } finally {
            if (browser != null) {
                browser.close();
                assertFalse(browser.anyAlive(), "a chromium process was left behind");
            }
        }
    }

    private static String activity(long invocations, long failed, long coldStarts) {
        return """
                {"invocations": %d, "failedInvocations": %d, "coldStarts": %d, "coldStartNanos": %d}
                """.formatted(invocations, failed, coldStarts, coldStarts * 4_000_000L);
    }

    private static String rows(HeadlessChromium browser, String selector, String attribute) throws Exception {
        return browser.eval("Array.from(document.querySelectorAll('" + selector + "')).map(r => r.dataset." + attribute
                + ").join(',')").asText();
    }

    private static String ids(JsonNode... grants) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode g : grants) {
            sb.append(sb.isEmpty() ? "" : ",").append(g.get("leaseId").asLong());
        }
        return sb.toString();
    }
}
