package org.rfaas.resourcemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.rmclient.ClusterEvent;
import org.rfaas.rmclient.ClusterEventStream;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.NodeRegistration;
import org.rfaas.rmclient.ResourceManagerClient;
import org.rfaas.resourcemanager.events.EventBus;

/** The event stream ({@code GET /v1/events}) of a real resource manager process, and the bus behind it. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
final class ResourceManagerEventsTest {
    @TempDir
    static Path dir;
    /** Nodes go down after 1.5 s without a heartbeat. */
    private static ResourceManagerProcess rm;
    private static ResourceManagerClient admin;

    @BeforeAll
    static void start() throws Exception {
        rm = ResourceManagerProcess.start(dir, 1_500, "first-fit");
        admin = rm.admin();
    }

    @AfterAll
    static void stop() throws Exception {
        rm.close();
    }

    private static ClusterEventStream subscribe(String token, BlockingQueue<ClusterEvent> into) throws Exception {
        ClusterEventStream s = new ClusterEventStream(rm.uri(), token, into::add, null);
        TestCluster.waitFor(s::connected, "the event stream is connected");
        return s;
    }

    private static ClusterEvent next(BlockingQueue<ClusterEvent> q, Predicate<ClusterEvent> what, long millis)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (true) {
            long left = deadline - System.nanoTime();
            ClusterEvent e = q.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            if (e == null || what.test(e)) {
                return e;
            }
        }
    }

    private static Predicate<ClusterEvent> is(String type, String node) {
        return e -> e.type().equals(type) && e.node().equals(node);
    }

    @Test
    void drainingANodePushesTheRevocationToTheLeaseHolderWithin200Ms() throws Exception {
        BlockingQueue<ClusterEvent> all = new LinkedBlockingQueue<>();
        try (ClusterEventStream adminStream = subscribe(ResourceManagerProcess.ADMIN, all)) {
            admin.addNode(new NodeRegistration("ev-a", "tcp://127.0.0.1:7100", 0, "tcp", 4, 4096));
            assertNotNull(next(all, is(ClusterEvent.NODE_ADDED, "ev-a"), 10_000));
            ClusterEvent cap = next(all, is(ClusterEvent.CAPACITY_FREED, "ev-a"), 10_000);
            assertNotNull(cap);
            assertEquals(4, cap.freeCores());
            // heartbeats keep the node up for the rest of the test
            ResourceManagerClient node = ResourceManagerClient.forNode(rm.uri(), ResourceManagerProcess.SECRET);
            Thread heart = Thread.ofPlatform().daemon().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        node.heartbeat("ev-a");
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        // keep trying
                    }
                }
            });
            try {
                LeaseGrant alice = rm.client().requestLease(1, 64, 60_000, "ev-alice");
                LeaseGrant bob = rm.client().requestLease(1, 64, 60_000, "ev-bob");
                assertNotNull(next(all, e -> e.leaseId() == alice.leaseId()
                        && e.type().equals(ClusterEvent.LEASE_GRANTED), 10_000));
                BlockingQueue<ClusterEvent> aliceEvents = new LinkedBlockingQueue<>();
                BlockingQueue<ClusterEvent> bobEvents = new LinkedBlockingQueue<>();
                try (ClusterEventStream a = subscribe(alice.token(), aliceEvents);
                        ClusterEventStream b = subscribe(bob.token(), bobEvents)) {
                    rm.client().releaseLease(bob);
                    ClusterEvent ended = next(bobEvents, e -> e.leaseId() == bob.leaseId(), 10_000);
                    assertEquals(ClusterEvent.LEASE_ENDED, ended.type());
                    ClusterEvent freed = next(bobEvents, is(ClusterEvent.CAPACITY_FREED, "ev-a"), 10_000);
                    assertEquals(3, freed.freeCores(), "alice's lease still holds one core");

                    long start = System.nanoTime();
                    admin.drainNode("ev-a");
                    ClusterEvent revoked = next(aliceEvents, e -> e.leaseId() == alice.leaseId(), 200);
                    long micros = (System.nanoTime() - start) / 1000;
                    assertNotNull(revoked, "no revocation within 200 ms of the drain");
                    System.out.println("drain -> revocation event: " + micros + " us");
                    assertEquals(ClusterEvent.LEASE_REVOKED, revoked.type());
                    assertEquals("ev-alice", revoked.tenant());
                    assertTrue(revoked.reason().contains("drained"), revoked.reason());
                    assertNotNull(next(bobEvents, is(ClusterEvent.NODE_DRAINED, "ev-a"), 2_000));
                    assertTrue(bobEvents.stream().noneMatch(e -> e.leaseId() == alice.leaseId()),
                            "bob sees alice's lease events: " + bobEvents);
                    assertTrue(aliceEvents.stream().noneMatch(e -> e.leaseId() == bob.leaseId()),
                            "alice sees bob's lease events: " + aliceEvents);

                    admin.resumeNode("ev-a");
                    assertNotNull(next(aliceEvents, is(ClusterEvent.NODE_RESUMED, "ev-a"), 2_000));
                    ClusterEvent back = next(aliceEvents, is(ClusterEvent.CAPACITY_FREED, "ev-a"), 2_000);
                    assertEquals(4, back.freeCores());
                }
            } finally {
                heart.interrupt();
            }
        }
    }

    @Test
    void aSilentNodeIsMarkedDownItsLeasesRevokedAndBothPushed() throws Exception {
        BlockingQueue<ClusterEvent> all = new LinkedBlockingQueue<>();
        try (ClusterEventStream s = subscribe(ResourceManagerProcess.ADMIN, all)) {
            admin.addNode(new NodeRegistration("ev-silent", "tcp://127.0.0.1:7101", 0, "tcp", 2, 1024));
            LeaseGrant g = rm.client().requestLease(2, 64, 60_000, "ev-carol");
            // no heartbeat ever: the 1.5 s timeout passes
            ClusterEvent down = next(all, is(ClusterEvent.NODE_DOWN, "ev-silent"), 15_000);
            assertNotNull(down, "node never marked down");
            // published right after NODE_DOWN (same transaction); the stream delivers it separately
            ClusterEvent revoked = next(all, e -> e.leaseId() == g.leaseId(), 2_000);
            assertNotNull(revoked, "the lease of the down node was not revoked");
            assertTrue(revoked.seq() > down.seq(), "revocation before the node went down");
            assertEquals(ClusterEvent.LEASE_REVOKED, revoked.type());
            assertEquals("DOWN", admin.node("ev-silent").state());
            assertEquals(2, admin.node("ev-silent").freeCores(), "the capacity is freed");
        }
    }

    @Test
    void theStreamIsAuthenticatedAndStaysOpenWhenIdle() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> none = http.send(HttpRequest.newBuilder(URI.create(rm.uri() + "/v1/events")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, none.statusCode());
        assertTrue(none.body().contains("UNAUTHORIZED"), none.body());
        HttpResponse<String> forged = http.send(HttpRequest.newBuilder(URI.create(rm.uri() + "/v1/events"))
                .header("Authorization", "Bearer v1|1|x|y").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, forged.statusCode());
        HttpResponse<String> noAccept = http.send(HttpRequest.newBuilder(URI.create(rm.uri() + "/v1/events"))
                .header("Authorization", "Bearer " + ResourceManagerProcess.ADMIN).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, noAccept.statusCode());
        assertTrue(noAccept.body().contains("text/event-stream"), noAccept.body());
        HttpResponse<InputStream> ok = http.send(HttpRequest.newBuilder(URI.create(rm.uri() + "/v1/events"))
                .header("Authorization", "Bearer " + ResourceManagerProcess.ADMIN)
                .header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, ok.statusCode());
        assertTrue(ok.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"), ok.headers().map().toString());
        try (InputStream in = ok.body()) {
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            assertEquals(": subscribed", r.readLine());
            long start = System.nanoTime();
            String line;
            while ((line = r.readLine()) != null && !line.equals(": heartbeat")) {
                assertFalse(System.nanoTime() - start > TimeUnit.SECONDS.toNanos(30), "no heartbeat");
            }
            assertEquals(": heartbeat", line, "the idle stream closed");
        }
    }

    @Test
    void aSubscriberThatFallsBehindIsDroppedWithoutBlockingThePublisher() throws Exception {
        EventBus bus = new EventBus();
        EventBus.Subscription slow = bus.subscribe(e -> true, 2);
        EventBus.Subscription fast = bus.subscribe(e -> true, 100);
        for (int i = 0; i < 10; i++) {
            bus.publish(ClusterEvent.node(ClusterEvent.NODE_ADDED, i, "n" + i, ""));
        }
        assertTrue(slow.dropped());
        assertFalse(fast.dropped());
        assertEquals(1, bus.subscriberCount());
        assertEquals(1, slow.poll(0, TimeUnit.MILLISECONDS).seq());
        assertEquals(2, slow.poll(0, TimeUnit.MILLISECONDS).seq());
        assertEquals(null, slow.poll(0, TimeUnit.MILLISECONDS), "a dropped subscriber gets nothing more");
        for (int i = 1; i <= 10; i++) {
            assertEquals(i, fast.poll(0, TimeUnit.MILLISECONDS).seq());
        }
        fast.close();
        assertEquals(0, bus.subscriberCount());
    }
}
