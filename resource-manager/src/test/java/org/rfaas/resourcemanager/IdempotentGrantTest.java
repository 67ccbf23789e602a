package org.rfaas.resourcemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.rmclient.LeaseBatchGrant;
import org.rfaas.rmclient.LeaseBatchRelease;
import org.rfaas.rmclient.LeaseBatchRequest;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.LeaseRequest;
import org.rfaas.rmclient.NodeRegistration;
import org.rfaas.rmclient.ResourceManagerClient;
import org.rfaas.rmclient.ResourceManagerException;

/**
 * Lease requests with a request id: the same id from the same tenant is answered with the lease
 * it already got (also after a SIGKILL and restart), never a second one.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
final class IdempotentGrantTest {
    @TempDir
    Path dir;

    @Test
    void aRetriedRequestIdGetsTheSameLeaseOnceEvenAfterACrash() throws Exception {
        LeaseRequest rank0 = new LeaseRequest(2, 256, 300_000, "idem", null, "job-7:rank-0");
        LeaseGrant first;
        try (ResourceManagerProcess rm = ResourceManagerProcess.start(dir, 600_000, "first-fit")) {
            rm.admin().addNode(new NodeRegistration("i0", "127.0.0.1", 7000, "tcp", 8, 8192));
            ResourceManagerClient client = rm.client();
            first = client.requestLease(rank0);
            LeaseGrant again = client.requestLease(rank0);
            assertEquals(first.leaseId(), again.leaseId());
            assertEquals(first.node(), again.node());
            assertEquals(6, rm.admin().node("i0").freeCores(), "capacity taken once");

            // the same id for something else is refused; another tenant's same id is its own
            ResourceManagerException e = assertThrows(ResourceManagerException.class,
                    () -> client.requestLease(new LeaseRequest(3, 256, 300_000, "idem", null, "job-7:rank-0")));
            assertEquals(409, e.status());
            LeaseGrant other = client.requestLease(new LeaseRequest(2, 256, 300_000, "other", null, "job-7:rank-0"));
            assertNotEquals(first.leaseId(), other.leaseId());
            // requests without an id of their own get fresh ones from the client: two leases
            assertNotEquals(client.requestLease(1, 64, 300_000, "idem").leaseId(),
                    client.requestLease(1, 64, 300_000, "idem").leaseId());
            assertEquals(2, rm.admin().node("i0").freeCores(), "8 cores: 2 + 2 (other tenant) + 1 + 1");
            rm.kill();
        }
        try (ResourceManagerProcess rm = ResourceManagerProcess.start(dir, 600_000, "first-fit")) {
            ResourceManagerClient client = rm.client();
            LeaseGrant afterCrash = client.requestLease(rank0);
            assertEquals(first.leaseId(), afterCrash.leaseId(), "the request id survives a crash");
            assertEquals(2, rm.admin().listLeases("ACTIVE").stream().filter(l -> l.tenant().equals("idem") && l.cores() == 2)
                    .count() + rm.admin().listLeases("ACTIVE").stream().filter(l -> l.tenant().equals("other")).count());
            // once released, the id is free again
            client.releaseLease(afterCrash);
            LeaseGrant next = client.requestLease(rank0);
            assertNotEquals(first.leaseId(), next.leaseId());
        }
    }

    @Test
    void aRetriedBatchRequestIdGetsTheSameLeasesOnceEvenAfterACrash() throws Exception {
        LeaseBatchRequest job = new LeaseBatchRequest(6, 1, 128, 300_000, "idem", 2, LeaseBatchRequest.ALL_OR_NOTHING,
                "spread", "job-9");
        List<Long> first;
        try (ResourceManagerProcess rm = ResourceManagerProcess.start(dir, 600_000, "first-fit")) {
            for (int i = 0; i < 4; i++) {
                rm.admin().addNode(new NodeRegistration("b" + i, "127.0.0.1", 7000 + i, "tcp", 4, 8192));
            }
            ResourceManagerClient client = rm.client();
            first = ids(client.requestLeases(job));
            assertEquals(6, first.size());
            assertEquals(first, ids(client.requestLeases(job)), "the same batch again: the same leases, in order");
            assertEquals(16 - 6, freeCores(rm), "capacity taken once");

            // the same id for another lease size, or for a smaller batch than it got, is refused
            assertEquals(409, assertThrows(ResourceManagerException.class, () -> client.requestLeases(
                    new LeaseBatchRequest(6, 2, 128, 300_000, "idem", 2, null, null, "job-9"))).status());
            assertEquals(409, assertThrows(ResourceManagerException.class, () -> client.requestLeases(
                    new LeaseBatchRequest(5, 1, 128, 300_000, "idem", 2, null, null, "job-9"))).status());
            // a batch's id is not a single request's: the single request gets a lease of its own
            LeaseGrant single = client.requestLease(new LeaseRequest(1, 128, 300_000, "idem", null, "job-9"));
            assertEquals(false, first.contains(single.leaseId()));
            // batches without an id of their own get fresh ones from the client: new leases each time
            LeaseBatchRequest anonymous = new LeaseBatchRequest(2, 1, 128, 300_000, "idem", 0, null, null);
            assertNotEquals(ids(client.requestLeases(anonymous)), ids(client.requestLeases(anonymous)));
            assertEquals(16 - 6 - 1 - 4, freeCores(rm));
            rm.kill();
        }
        try (ResourceManagerProcess rm = ResourceManagerProcess.start(dir, 600_000, "first-fit")) {
            ResourceManagerClient client = rm.client();
            LeaseBatchGrant afterCrash = client.requestLeases(job);
            assertEquals(first, ids(afterCrash), "the batch's request id survives a crash");
            assertEquals(16 - 6 - 1 - 4, freeCores(rm), "nothing granted twice");
            // released in part: the retry answers what is still held; released whole: the id grants anew
            client.releaseLeases(LeaseBatchRelease.of(afterCrash.leases().subList(0, 2)));
            assertEquals(first.subList(2, 6), ids(client.requestLeases(job)));
            client.releaseLeases(LeaseBatchRelease.of(afterCrash.leases().subList(2, 6)));
            List<Long> anew = ids(client.requestLeases(job));
            assertEquals(6, anew.size());
            assertEquals(false, anew.stream().anyMatch(first::contains));
        }
    }

    private static List<Long> ids(LeaseBatchGrant g) {
        return g.leases().stream().map(LeaseGrant::leaseId).toList();
    }

    private static int freeCores(ResourceManagerProcess rm) {
        return rm.admin().listNodes().stream().mapToInt(n -> n.freeCores()).sum();
    }
}
