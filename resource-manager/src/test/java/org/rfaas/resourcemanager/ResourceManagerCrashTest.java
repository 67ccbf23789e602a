package org.rfaas.resourcemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
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
import org.rfaas.rmclient.LeaseRequest;
import org.rfaas.rmclient.rpc.LeaseRpcClient;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.rmclient.LeaseRefusedException;
import org.rfaas.rmclient.NodeInfo;
import org.rfaas.rmclient.NodeRegistration;
import org.rfaas.rmclient.ResourceManagerClient;
import org.rfaas.rmclient.ResourceManagerException;

/**
 * SIGKILL of a resource manager process under grant load (group commit on; clients over HTTP and
 * over the binary lease endpoint): after a restart every
 * grant and release it acknowledged is there, no lease id is doubled, and each node's free capacity
 * is its size minus its active leases, never below zero (nothing overbooked).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
final class ResourceManagerCrashTest {
    private static final int NODES = 12;
    private static final int CORES = 8;
    private static final int CLIENTS = 8;

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedGrantSurvivesSigkill() throws Exception {
        ConcurrentLinkedQueue<LeaseGrant> granted = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> released = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        try (ResourceManagerProcess rm = ResourceManagerProcess.start(dir, 600_000, "first-fit")) {
            for (int i = 0; i < NODES; i++) {
                rm.admin().addNode(new NodeRegistration(String.format("c%02d", i), "127.0.0.1", 7000 + i, "tcp", CORES, 8192));
            }
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int me = c;
                // half the clients over HTTP, half over the binary lease endpoint (answered by the commit thread)
                Lessee lessee = c % 2 == 0 ? http(rm.client()) : endpoint(rm.leaseEndpoint, "crash-" + me);
                clients.add(Thread.ofPlatform().start(() -> load(lessee, me, granted, released, stop)));
            }
            // let the load run until a good number of grants were acknowledged, then crash mid-flight
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (granted.size() < 400 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            rm.kill();
            stop.set(true);
            for (Thread t : clients) {
                t.join(30_000);
            }
        }
        assertTrue(granted.size() >= 400, "load ran: " + granted.size() + " grants acknowledged");
        try (ResourceManagerProcess rm = ResourceManagerProcess.start(dir, 600_000, "first-fit")) {
            Map<Long, LeaseInfo> stored = new HashMap<>();
            for (LeaseInfo l : rm.admin().listLeases()) {
                assertTrue(stored.put(l.leaseId(), l) == null, "lease id " + l.leaseId() + " listed twice");
            }
            Set<Long> releasedIds = new HashSet<>(released);
            Set<Long> grantedIds = new HashSet<>();
            for (LeaseGrant g : granted) {
                assertTrue(grantedIds.add(g.leaseId()), "lease id " + g.leaseId() + " granted twice");
                LeaseInfo l = stored.get(g.leaseId());
                assertTrue(l != null, "acknowledged lease " + g.leaseId() + " lost by the crash");
                assertEquals(g.node(), l.node());
                assertEquals(g.cores(), l.cores());
                assertEquals(g.tenant(), l.tenant());
                if (releasedIds.contains(g.leaseId())) {
                    assertEquals("RELEASED", l.state(), "acknowledged release of lease " + g.leaseId());
                } else {
                    // unacknowledged release in flight at the kill: either outcome is legitimate
                    assertTrue(l.active() || "RELEASED".equals(l.state()), "lease " + g.leaseId() + " is " + l.state());
                }
            }
            assertCapacitiesAddUp(rm.admin());
            // grants go on after the restart with fresh ids, and still add up
            Set<Long> before = stored.keySet();
            for (int i = 0; i < 20; i++) {
                try {
                    LeaseGrant g = rm.client().requestLease(1, 64, 300_000, "after");
                    assertTrue(!before.contains(g.leaseId()), "id " + g.leaseId() + " reused after the restart");
                } catch (LeaseRefusedException full) {
                    break;
                }
            }
            assertCapacitiesAddUp(rm.admin());
        }
    }

    /** How a load client takes and returns leases. */
    private interface Lessee {
        LeaseGrant grant(int cores, String tenant);

        void release(LeaseGrant g);
    }

    private static Lessee http(ResourceManagerClient client) {
        return new Lessee() {
            @Override
            public LeaseGrant grant(int cores, String tenant) {
                return client.requestLease(cores, 64, 300_000, tenant);
            }

            @Override
            public void release(LeaseGrant g) {
                client.releaseLease(g);
            }
        };
    }

    private static Lessee endpoint(String endpoint, String tenant) {
        LeaseRpcClient rpc = LeaseRpcClient.of(endpoint, ResourceManagerProcess.ADMIN, tenant);
        return new Lessee() {
            @Override
            public LeaseGrant grant(int cores, String t) {
                return rpc.requestLease(new LeaseRequest(cores, 64, 300_000, t));
            }

            @Override
            public void release(LeaseGrant g) {
                rpc.releaseLease(g);
            }
        };
    }

    /** Grants leases and releases every other one until stopped; records only what was acknowledged. */
    private static void load(Lessee client, int me, ConcurrentLinkedQueue<LeaseGrant> granted,
            ConcurrentLinkedQueue<Long> released, AtomicBoolean stop) {
        List<LeaseGrant> held = new ArrayList<>();
        int n = 0;
        while (!stop.get()) {
            try {
                LeaseGrant g = client.grant(1 + (n % 2), "crash-" + me);
                granted.add(g);
                held.add(g);
                if (n++ % 2 == 0 || held.size() > 4) {
                    LeaseGrant r = held.removeFirst();
                    client.release(r);
                    released.add(r.leaseId());
                }
            } catch (LeaseRefusedException full) {
                if (!held.isEmpty()) {
                    LeaseGrant r = held.removeFirst();
                    try {
                        client.release(r);
                        released.add(r.leaseId());
                    } catch (ResourceManagerException gone) {
                        return;
                    }
                }
            } catch (ResourceManagerException gone) {
                return; // the process was killed
            }
        }
    }

    private static void assertCapacitiesAddUp(ResourceManagerClient admin) {
        Map<String, int[]> used = new HashMap<>();
        for (LeaseInfo l : admin.listLeases("ACTIVE")) {
            int[] u = used.computeIfAbsent(l.node(), k -> new int[2]);
            u[0] += l.cores();
            u[1]++;
        }
        List<NodeInfo> nodes = admin.listNodes();
        assertEquals(NODES, nodes.size());
        for (NodeInfo n : nodes) {
            int[] u = used.getOrDefault(n.name(), new int[2]);
            assertTrue(u[0] <= n.cores(), n.name() + " overbooked: " + u[0] + " of " + n.cores() + " cores");
            assertEquals(n.cores() - u[0], n.freeCores(), n.name() + " free cores");
            assertEquals(u[1], n.activeLeases(), n.name() + " active leases");
        }
    }
}
