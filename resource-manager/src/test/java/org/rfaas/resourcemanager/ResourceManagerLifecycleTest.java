package org.rfaas.resourcemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.rmclient.BillingSummary;
import org.rfaas.rmclient.EndedLease;
import org.rfaas.rmclient.HeartbeatResponse;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.rmclient.NodeInfo;
import org.rfaas.rmclient.NodeRegistration;
import org.rfaas.rmclient.TenantBilling;

/** Restarts, crashes and silent nodes, each against its own resource manager process. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
final class ResourceManagerLifecycleTest {
    @TempDir
    Path dir;

    @Test
    void restartKeepsNodesLeasesAndBilling() throws Exception {
        LeaseGrant kept;
        LeaseGrant billed;
        List<NodeInfo> nodesBefore;
        List<LeaseInfo> leasesBefore;
        BillingSummary billingBefore;
        try (ResourceManagerProcess rm = ResourceManagerProcess.start(dir, 60_000, "least-loaded")) {
            rm.node().registerNode(new NodeRegistration("r-a", "127.0.0.1", 7001, "tcp", 4, 4096));
            rm.node().registerNode(new NodeRegistration("r-b", "/dev/shm/rfaas", 0, "shm", 2, 2048));
            kept = rm.client().requestLease(2, 1024, 300_000, "alice");
            billed = rm.client().requestLease(1, 512, 300_000, "bob");
            assertEquals("r-a", kept.node(), "least-loaded picks the node with the most free cores");
            assertEquals("r-a", billed.node());
            rm.node().reportBilling(billed.node(), billed.leaseId(), 2_000_000_000L, 1_500_000_000L, 400_000_000L, 1024.0);
            rm.admin().drainNode("r-b");
            nodesBefore = rm.admin().listNodes();
            leasesBefore = rm.admin().listLeases();
            billingBefore = rm.admin().billing();
            rm.stop();
        }
        try (ResourceManagerProcess rm = ResourceManagerProcess.start(dir, 60_000, "least-loaded")) {
            assertEquals(strip(nodesBefore), strip(rm.admin().listNodes()));
            assertEquals(leasesBefore, rm.admin().listLeases());
            assertEquals(billingBefore, rm.admin().billing());
            assertEquals(new TenantBilling("bob", 1, 2_000_000_000L, 1_500_000_000L, 400_000_000L, 1024.0),
                    rm.admin().tenantBilling("bob"));
            // the lease granted before the restart is still usable with its token, and ids never repeat
            assertEquals("ACTIVE", rm.client().lease(kept.leaseId(), kept.token()).state());
            LeaseGrant renewed = rm.client().renewLease(kept, 300_000);
            assertEquals(kept.leaseId(), renewed.leaseId());
            LeaseGrant fresh = rm.client().requestLease(1, 1, 0, "carol");
            assertTrue(fresh.leaseId() > billed.leaseId(), "lease ids continue after a restart");
            assertEquals("r-a", fresh.node(), "r-b is still draining");
            assertEquals(1, rm.admin().node("r-a").freeCores(), "capacity accounting survived: 4 - 2 (kept) - 1 (fresh)");
            rm.stop();
        }
    }

    @Test
    void crashKeepsEverythingAnsweredBeforeIt() throws Exception {
        LeaseGrant g;
        try (ResourceManagerProcess rm = ResourceManagerProcess.start(dir, 60_000, "first-fit")) {
            rm.node().registerNode(new NodeRegistration("c-a", "127.0.0.1", 7001, "tcp", 4, 4096));
            g = rm.client().requestLease(1, 1024, 300_000, "alice");
            rm.node().reportBilling("c-a", rm.client().requestLease(1, 1024, 300_000, "bob").leaseId(), 10, 5, 1, 1.5);
            rm.kill(); // SIGKILL right after the answers: no shutdown hook, no close
        }
        try (ResourceManagerProcess rm = ResourceManagerProcess.start(dir, 60_000, "first-fit")) {
            assertEquals("ACTIVE", rm.admin().lease(g.leaseId(), null).state());
            assertEquals(1, rm.admin().tenantBilling("bob").leases());
            assertEquals(3, rm.admin().node("c-a").freeCores());
            rm.stop();
        }
    }

    @Test
    void lostHeartbeatMarksTheNodeDownAndRevokesItsLeases() throws Exception {
        try (ResourceManagerProcess rm = ResourceManagerProcess.start(dir, 3_000, "first-fit")) {
            var nodes = rm.node();
            nodes.registerNode(new NodeRegistration("hb-a", "127.0.0.1", 7001, "tcp", 2, 2048));
            nodes.registerNode(new NodeRegistration("hb-b", "127.0.0.1", 7002, "tcp", 2, 2048));
            AtomicBoolean beating = new AtomicBoolean(true);
            Thread heart = Thread.ofPlatform().daemon().start(() -> {
                while (beating.get()) {
                    nodes.heartbeat("hb-b");
                    try {
                        Thread.sleep(150);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            try {
                LeaseGrant g = rm.client().requestLease(2, 1024, 300_000, "alice");
                assertEquals("hb-a", g.node());
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
                while (!"DOWN".equals(rm.admin().node("hb-a").state()) && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertEquals("DOWN", rm.admin().node("hb-a").state(), "hb-a stopped heartbeating");
                assertEquals("UP", rm.admin().node("hb-b").state(), "hb-b kept heartbeating");
                LeaseInfo revoked = rm.admin().lease(g.leaseId(), null);
                assertEquals("REVOKED", revoked.state());
                assertTrue(revoked.endReason().contains("missed heartbeats"), revoked.endReason());
                assertEquals("hb-b", rm.client().requestLease(2, 1024, 300_000, "alice").node(), "down nodes get no leases");

                // the node comes back: it is up again and learns which of its leases were revoked
                HeartbeatResponse hb = nodes.heartbeat("hb-a");
                assertEquals("UP", hb.state());
                assertEquals(List.of(), hb.activeLeaseIds());
                assertTrue(hb.endedLeases().stream().anyMatch(e -> e.leaseId() == g.leaseId() && e.state().equals("REVOKED")),
                        hb.endedLeases().toString());
                assertEquals(List.of(g.leaseId()), hb.endedLeases().stream().map(EndedLease::leaseId).toList());
            } finally {
                beating.set(false);
                heart.interrupt();
                heart.join(5_000);
            }
            rm.stop();
        }
    }

    /** Node records without the heartbeat time, which a restart refreshes on purpose. */
    private static List<NodeInfo> strip(List<NodeInfo> nodes) {
        return nodes.stream().map(n -> new NodeInfo(n.name(), n.address(), n.port(), n.transport(), n.cores(), n.memoryMiB(),
                n.state(), n.freeCores(), n.freeMemoryMiB(), n.activeLeases(), 0)).toList();
    }
}
