package org.rfaas.resourcemanager;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.rfaas.rmclient.TenantInfo;

/**
 * Tenants, their API keys and quotas. Like the rest of the cluster they are served from memory
 * (held in {@link LiveState}, changed under {@link ClusterState}'s lock, so that a quota check and
 * the lease it admits are one step) and recorded in the database through the durable log
 * ({@code rm_tenants}, migration V4).
 *
 * <p>An API key is 32 random bytes (base64url, prefixed {@code rfk_}); only its SHA-256 is kept.
 * A key has the entropy of a secret, so a fast hash is enough: there is no dictionary to try,
 * and the look-up by hash is a map probe.
 */
final class Tenants {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A tenant as kept: its key only as a hash. */
    record Tenant(String name, String keyHash, int maxCores, long maxMemoryMiB, long createdAt) {
        TenantInfo info(String apiKey) {
            return new TenantInfo(name, maxCores, maxMemoryMiB, createdAt, apiKey);
        }
    }

    /** By name, and the names by key hash. */
    final Map<String, Tenant> byName = new HashMap<>();
    final Map<String, String> byKeyHash = new HashMap<>();
    /** Per tenant: cores and memory its active leases hold. */
    private final Map<String, long[]> use = new HashMap<>();

    /** A new API key. */
    static String newKey() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return "rfk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** The stored form of a key: its SHA-256, hex. */
    static String hash(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Reads the tenants at start. */
    void load(Connection db) throws SQLException {
        try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT name, key_hash, max_cores, max_memory_mib, created_at FROM rm_tenants")) {
            while (rs.next()) {
                put(new Tenant(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getLong(4), rs.getLong(5)));
            }
        }
    }

    void put(Tenant t) {
        Tenant old = byName.put(t.name(), t);
        if (old != null) {
            byKeyHash.remove(old.keyHash());
        }
        byKeyHash.put(t.keyHash(), t.name());
    }

    void remove(String name) {
        Tenant old = byName.remove(name);
        if (old != null) {
            byKeyHash.remove(old.keyHash());
        }
    }

    Tenant require(String name) {
        Tenant t = byName.get(name);
        if (t == null) {
            throw ApiException.notFound("unknown tenant '" + name + "'");
        }
        return t;
    }

    List<TenantInfo> list() {
        List<TenantInfo> out = new ArrayList<>();
        byName.values().stream().sorted(Comparator.comparing(Tenant::name)).forEach(t -> out.add(t.info(null)));
        return out;
    }

    /** A lease of {@code tenant} took ({@code sign} 1) or gave back (-1) capacity. */
    void used(String tenant, int cores, long memoryMiB, int sign) {
        long[] u = use.computeIfAbsent(tenant, k -> new long[2]);
        u[0] += sign * (long) cores;
        u[1] += sign * memoryMiB;
        if (u[0] == 0 && u[1] == 0) {
            use.remove(tenant);
        }
    }

    /**
     * Refuses (409, with the reason) {@code count} leases of {@code cores} and {@code memoryMiB}
     * that would take the tenant's active leases past its quota. A tenant without a record (an
     * operator leasing for a name) or without quotas passes.
     */
    void checkQuota(String tenant, int count, int cores, long memoryMiB) {
        Tenant t = byName.get(tenant);
        if (t == null || (t.maxCores() == 0 && t.maxMemoryMiB() == 0)) {
            return;
        }
        long[] u = use.getOrDefault(tenant, new long[2]);
        long wantCores = (long) count * cores;
        long wantMemory = count * memoryMiB;
        if (t.maxCores() > 0 && u[0] + wantCores > t.maxCores()) {
            throw ApiException.quotaExceeded("tenant '" + tenant + "' holds " + u[0] + " of its " + t.maxCores()
                    + " cores in active leases; " + wantCores + " more would exceed its quota");
        }
        if (t.maxMemoryMiB() > 0 && u[1] + wantMemory > t.maxMemoryMiB()) {
            throw ApiException.quotaExceeded("tenant '" + tenant + "' holds " + u[1] + " of its " + t.maxMemoryMiB()
                    + " MiB in active leases; " + wantMemory + " MiB more would exceed its quota");
        }
    }
}
