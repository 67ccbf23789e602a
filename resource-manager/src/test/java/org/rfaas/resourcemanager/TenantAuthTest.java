package org.rfaas.resourcemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.rmclient.ApiError;
import org.rfaas.rmclient.LeaseBatchGrant;
import org.rfaas.rmclient.LeaseBatchRequest;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.LeaseRefusedException;
import org.rfaas.rmclient.NodeRegistration;
import org.rfaas.rmclient.ResourceManagerClient;
import org.rfaas.rmclient.ResourceManagerException;
import org.rfaas.rmclient.TenantInfo;
import org.rfaas.rmclient.TenantRequest;

/**
 * Tenants and their credentials against a real resource manager process: a lease request needs an
 * API key, the key decides the tenant billed, quotas hold over the tenant's active leases, keys
 * are stored hashed and stop working when rotated or removed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
final class TenantAuthTest {
    @TempDir
    static Path dir;
    private static ResourceManagerProcess rm;
    private static ResourceManagerClient admin;

    @BeforeAll
    static void start() throws Exception {
        rm = ResourceManagerProcess.start(dir, 60_000, "first-fit");
        admin = rm.admin();
        rm.node().registerNode(new NodeRegistration("auth-a", "127.0.0.1", 7000, "tcp", 8, 8192));
    }

    @AfterAll
    static void stop() throws Exception {
        if (rm != null) {
            rm.close();
        }
    }

    private static ResourceManagerException refused(int status, String code, Runnable call) {
        ResourceManagerException e = assertThrows(ResourceManagerException.class, call::run);
        assertEquals(status, e.status(), e.getMessage());
        assertEquals(code, e.code(), e.getMessage());
        return e;
    }

    @Test
    void aLeaseRequestNeedsTheTenantsKeyAndBillsTheKeysTenant() {
        TenantInfo ann = admin.createTenant(new TenantRequest("ann", 0, 0));
        assertTrue(ann.apiKey().startsWith("rfk_") && ann.apiKey().length() > 40, ann.apiKey());
        refused(401, ApiError.UNAUTHORIZED, () -> new ResourceManagerClient(rm.uri(), null, null, java.time.Duration.ofSeconds(10))
                .requestLease(1, 64, 0, "ann"));
        refused(401, ApiError.UNAUTHORIZED, () -> rm.tenant("rfk_not-a-key").requestLease(1, 64, 0, "ann"));
        TenantInfo ben = admin.createTenant(new TenantRequest("ben", 0, 0));
        ResourceManagerException other = refused(403, ApiError.FORBIDDEN,
                () -> rm.tenant(ben.apiKey()).requestLease(1, 64, 0, "ann"));
        assertTrue(other.getMessage().contains("'ben'"), other.getMessage());

        LeaseGrant g = rm.tenant(ann.apiKey()).requestLease(1, 64, 0, "ann");
        assertEquals("ann", g.tenant());
        assertEquals("ann", admin.listLeases("ACTIVE").stream().filter(l -> l.leaseId() == g.leaseId()).findFirst()
                .orElseThrow().tenant());
        rm.tenant(ann.apiKey()).releaseLease(g);
        refused(409, ApiError.CONFLICT, () -> admin.createTenant(new TenantRequest("ann", 0, 0)));
        assertTrue(admin.listTenants().stream().allMatch(t -> t.apiKey() == null), "keys are never listed");
    }

    @Test
    void quotasHoldOverTheTenantsActiveLeases() {
        String key = admin.createTenant(new TenantRequest("quota", 3, 1024)).apiKey();
        ResourceManagerClient q = rm.tenant(key);
        LeaseGrant a = q.requestLease(2, 256, 0, "quota");
        LeaseRefusedException cores = assertThrows(LeaseRefusedException.class, () -> q.requestLease(2, 256, 0, "quota"));
        assertEquals(409, cores.status());
        assertTrue(cores.getMessage().contains("holds 2 of its 3 cores"), cores.getMessage());
        LeaseGrant b = q.requestLease(1, 512, 0, "quota");
        LeaseRefusedException memory = assertThrows(LeaseRefusedException.class, () -> q.requestLease(1, 512, 0, "quota"));
        assertTrue(memory.getMessage().contains("cores") || memory.getMessage().contains("MiB"), memory.getMessage());
        q.releaseLease(a);
        LeaseRefusedException mem = assertThrows(LeaseRefusedException.class, () -> q.requestLease(1, 768, 0, "quota"));
        assertTrue(mem.getMessage().contains("holds 512 of its 1024 MiB"), mem.getMessage());
        LeaseGrant c = q.requestLease(2, 512, 0, "quota");
        q.releaseLease(b);
        q.releaseLease(c);
    }

    @Test
    void batchesNeedTheKeyAndStayWithinTheQuota() {
        String key = admin.createTenant(new TenantRequest("batcher", 2, 0)).apiKey();
        String other = admin.createTenant(new TenantRequest("bystander", 0, 0)).apiKey();
        LeaseBatchRequest three = new LeaseBatchRequest(3, 1, 64, 0, "batcher", 0, LeaseBatchRequest.BEST_EFFORT, null);
        refused(401, ApiError.UNAUTHORIZED, () -> new ResourceManagerClient(rm.uri(), null, null, java.time.Duration.ofSeconds(10))
                .requestLeases(three));
        refused(403, ApiError.FORBIDDEN, () -> rm.tenant(other).requestLeases(three));
        LeaseRefusedException quota = assertThrows(LeaseRefusedException.class, () -> rm.tenant(key).requestLeases(three));
        assertTrue(quota.getMessage().contains("of its 2 cores"), quota.getMessage());
        LeaseBatchGrant two = rm.tenant(key).requestLeases(
                new LeaseBatchRequest(2, 1, 64, 0, "batcher", 0, LeaseBatchRequest.ALL_OR_NOTHING, null));
        assertEquals(2, two.leases().size());
        assertTrue(two.leases().stream().allMatch(g -> g.tenant().equals("batcher")));
        two.leases().forEach(g -> rm.tenant(key).releaseLease(g));
    }

    @Test
    void aRotatedOrRemovedTenantsOldKeyStopsWorking() {
        String first = admin.createTenant(new TenantRequest("rot", 0, 0)).apiKey();
        String second = admin.rotateTenantKey("rot").apiKey();
        assertFalse(first.equals(second));
        refused(401, ApiError.UNAUTHORIZED, () -> rm.tenant(first).requestLease(1, 64, 0, "rot"));
        LeaseGrant g = rm.tenant(second).requestLease(1, 64, 0, "rot");
        rm.tenant(second).releaseLease(g);
        admin.removeTenant("rot");
        refused(401, ApiError.UNAUTHORIZED, () -> rm.tenant(second).requestLease(1, 64, 0, "rot"));
        refused(404, ApiError.NOT_FOUND, () -> admin.rotateTenantKey("rot"));
    }

    @Test
    void keysAreStoredHashed() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(ResourceManagerProcess.POSTGRES,
                "reads the default H2 database file directly; this run uses PostgreSQL");
        String key = admin.createTenant(new TenantRequest("hashed", 0, 0)).apiKey();
        rm.stop(); // the database file is H2's, one process at a time
        try (Connection db = DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("data").toAbsolutePath()
                + "/rfaas-rm", "", "");
                ResultSet rs = db.createStatement().executeQuery("SELECT key_hash FROM rm_tenants WHERE name = 'hashed'")) {
            assertTrue(rs.next());
            assertEquals(Tenants.hash(key), rs.getString(1));
            assertFalse(rs.getString(1).contains(key));
        } finally {
            rm = ResourceManagerProcess.start(dir.resolve("rm.json"), dir.resolve("rm-restarted.log"));
            admin = rm.admin();
        }
        for (Path f : Files.list(dir.resolve("data")).toList()) {
            assertFalse(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(key), f + " holds the key");
        }
        assertNull(admin.listTenants().stream().filter(t -> t.name().equals("hashed")).findFirst().orElseThrow().apiKey());
        // the restarted resource manager still knows the key (by its hash)
        LeaseGrant g = rm.tenant(key).requestLease(1, 64, 0, "hashed");
        rm.tenant(key).releaseLease(g);
    }
}
