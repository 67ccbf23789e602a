package org.rfaas.resourcemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.rmclient.NodeInfo;
import org.rfaas.rmclient.NodeRegistration;
import org.rfaas.rmclient.ResourceManagerClient;
import org.rfaas.rmclient.ResourceManagerException;

/**
 * Two resource manager processes on one PostgreSQL (leadership lease 1 s): the leader is SIGKILLed
 * under grant load and heartbeats; clients and the node, given both URLs, go on with the standby
 * within 2 s, and everything acknowledged by either is there once, with capacities adding up.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
final class ResourceManagerFailoverTest {
    private static final int NODES = 8;

    @TempDir
    Path dir;

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void theStandbyTakesOverWithinTwoSecondsAndNothingIsLostOrDoubled() throws Exception {
        try (PostgresServer pg = PostgresServer.start()) {
            String url = pg.newDatabase();
            try (ResourceManagerProcess a = start("a", url)) {
                waitForRole(a.uri(), "leader");
                try (ResourceManagerProcess b = start("b", url)) {
                    assertEquals("standby", role(b.uri()));
                    URI both = URI.create("http://127.0.0.1:" + a.uri().getPort() + ",127.0.0.1:" + b.uri().getPort());
                    run(a, b, both);
                }
            }
        }
    }

    private void run(ResourceManagerProcess a, ResourceManagerProcess b, URI both) throws Exception {
        ResourceManagerClient admin = new ResourceManagerClient(both, ResourceManagerProcess.ADMIN, null, Duration.ofSeconds(30));
        ResourceManagerClient node = new ResourceManagerClient(both, null, ResourceManagerProcess.SECRET, Duration.ofSeconds(30));
        for (int i = 0; i < NODES; i++) {
            node.registerNode(new NodeRegistration("f" + i, "127.0.0.1", 7000 + i, "tcp", 8, 8192));
        }
        ConcurrentLinkedQueue<long[]> granted = new ConcurrentLinkedQueue<>(); // {leaseId, sentNanos, ackNanos}
        ConcurrentLinkedQueue<LeaseGrant> grants = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> released = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<long[]> heartbeats = new ConcurrentLinkedQueue<>(); // {sentNanos, ackNanos}
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            int me = c;
            threads.add(Thread.ofPlatform().start(() -> {
                // leases as the operator (the admin token in place of a tenant's key), for tenant fo-<n>
                ResourceManagerClient client = new ResourceManagerClient(both, null, null, ResourceManagerProcess.ADMIN,
                        Duration.ofSeconds(30));
                List<LeaseGrant> held = new ArrayList<>();
                int n = 0;
                while (!stop.get()) {
                    try {
                        if (held.size() < 6) {
                            long sent = System.nanoTime();
                            LeaseGrant g = client.requestLease(1, 64, 300_000, "fo-" + me);
                            granted.add(new long[] {g.leaseId(), sent, System.nanoTime()});
                            grants.add(g);
                            held.add(g);
                        }
                        if (n++ % 2 == 1 || held.size() >= 6) {
                            LeaseGrant r = held.removeFirst();
                            client.releaseLease(r);
                            released.add(r.leaseId());
                        }
                    } catch (ResourceManagerException e) {
                        // a request whose answer was lost in the kill: neither acknowledged nor counted
                    }
                }
            }));
        }
        threads.add(Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                try {
                    long sent = System.nanoTime();
                    node.heartbeat("f0");
                    heartbeats.add(new long[] {sent, System.nanoTime()});
                    Thread.sleep(50);
                } catch (ResourceManagerException e) {
                    // retried next turn
                } catch (InterruptedException e) {
                    return;
                }
            }
        }));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (granted.size() < 200 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        long killedAt = System.nanoTime();
        a.kill();
        while (System.nanoTime() < killedAt + TimeUnit.SECONDS.toNanos(20) && granted.stream().noneMatch(g -> g[2] > killedAt
                + TimeUnit.MILLISECONDS.toNanos(500) + TimeUnit.SECONDS.toNanos(2))) {
            Thread.sleep(50);
        }
        stop.set(true);
        for (Thread t : threads) {
            t.join(60_000);
        }
        // the first request sent after the kill that was answered (one answered by the leader before it died does not count)
        double grantGapMs = (granted.stream().filter(g -> g[1] > killedAt).mapToLong(g -> g[2]).min().orElse(Long.MAX_VALUE)
                - killedAt) / 1e6;
        double heartbeatGapMs = (heartbeats.stream().filter(h -> h[0] > killedAt).mapToLong(h -> h[1]).min()
                .orElse(Long.MAX_VALUE) - killedAt) / 1e6;
        assertEquals("leader", role(b.uri()));
        assertTrue(grantGapMs < 2000, "grants resumed " + grantGapMs + " ms after the kill");
        assertTrue(heartbeatGapMs < 2000, "heartbeats resumed " + heartbeatGapMs + " ms after the kill");

        Map<Long, LeaseInfo> stored = new HashMap<>();
        for (LeaseInfo l : admin.listLeases()) {
            assertTrue(stored.put(l.leaseId(), l) == null, "lease " + l.leaseId() + " listed twice");
        }
        Set<Long> ids = new HashSet<>();
        Set<Long> releasedIds = new HashSet<>(released);
        for (LeaseGrant g : grants) {
            assertTrue(ids.add(g.leaseId()), "lease id " + g.leaseId() + " granted twice (across the failover)");
            LeaseInfo l = stored.get(g.leaseId());
            assertTrue(l != null, "acknowledged lease " + g.leaseId() + " lost in the failover");
            assertEquals(g.node(), l.node());
            if (releasedIds.contains(g.leaseId())) {
                assertEquals("RELEASED", l.state());
            }
        }
        Map<String, Integer> used = new HashMap<>();
        admin.listLeases("ACTIVE").forEach(l -> used.merge(l.node(), l.cores(), Integer::sum));
        for (NodeInfo n : admin.listNodes()) {
            int u = used.getOrDefault(n.name(), 0);
            assertTrue(u <= n.cores(), n.name() + " overbooked");
            assertEquals(n.cores() - u, n.freeCores(), n.name());
        }
        Files.writeString(dir.resolve("failover.txt"), "grants resumed after " + grantGapMs + " ms, heartbeats after "
                + heartbeatGapMs + " ms\n");
        System.out.println("failover: grants resumed after " + grantGapMs + " ms, heartbeats after " + heartbeatGapMs + " ms, "
                + grants.size() + " grants acknowledged");
    }

    private ResourceManagerProcess start(String name, String url) throws Exception {
        Path d = Files.createDirectories(dir.resolve(name));
        Path config = d.resolve("rm.json");
        Files.writeString(config, """
                {"host": "127.0.0.1", "port": 0, "adminToken": "%s", "clusterSecret": "%s", "dataDir": "%s",
                 "databaseUrl": "%s", "databaseUser": "%s", "heartbeatTimeoutMillis": 600000, "sweepIntervalMillis": 50,
                 "leaderLeaseMillis": 1000}
                """.formatted(ResourceManagerProcess.ADMIN, ResourceManagerProcess.SECRET, d.resolve("data"), url, PostgresServer.USER));
        return ResourceManagerProcess.start(config, d.resolve("rm.log"));
    }

    private static String role(URI uri) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri.resolve("/v1/health")).build(), HttpResponse.BodyHandlers.ofString());
        return ResourceManagerClient.JSON.readTree(r.body()).get("role").asText();
    }

    private static void waitForRole(URI uri, String role) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!role.equals(role(uri))) {
            assertTrue(System.nanoTime() < deadline, uri + " never became " + role);
            Thread.sleep(50);
        }
    }
}
