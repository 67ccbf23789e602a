package org.rfaas.resourcemanager;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.rfaas.rmclient.TenantInfo;

/**
 * Tenants, their API keys and quotas, in the resource manager's database. Called from
 * {@link ClusterState}'s transactions, so that a quota check and the lease it admits are one
 * transaction.
 *
 * <p>An API key is 32 random bytes (base64url, prefixed {@code rfk_}); the database keeps only its
 * SHA-256. A key has the entropy of a secret, so a fast hash is enough: no dictionary to try, and
 * the lookup by hash is an index probe.
 */
final class Tenants {
    static final String[] SCHEMA = {
        "CREATE TABLE IF NOT EXISTS rm_tenants (name VARCHAR(128) PRIMARY KEY, key_hash VARCHAR(64) NOT NULL,"
            + " max_cores INTEGER NOT NULL, max_memory_mib BIGINT NOT NULL, created_at BIGINT NOT NULL)",
        "CREATE UNIQUE INDEX IF NOT EXISTS rm_tenants_key ON rm_tenants (key_hash)",
    };
    private static final String COLUMNS = "SELECT name, max_cores, max_memory_mib, created_at FROM rm_tenants";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Tenants() {
    }

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

    /** Creates a tenant; returns it with its key. 409 when the name is taken. */
    static TenantInfo create(Connection db, String name, int maxCores, long maxMemoryMiB, long now) throws SQLException {
        if (find(db, name).isPresent()) {
            throw ApiException.conflict("tenant '" + name + "' exists; rotate its key or remove it first");
        }
        String key = newKey();
        Sql.update(db, "INSERT INTO rm_tenants (name, key_hash, max_cores, max_memory_mib, created_at) VALUES (?, ?, ?, ?, ?)",
                name, hash(key), maxCores, maxMemoryMiB, now);
        return new TenantInfo(name, maxCores, maxMemoryMiB, now, key);
    }

    /** Gives a tenant a new key (the old one stops working); returns it with the new key. */
    static TenantInfo rotateKey(Connection db, String name) throws SQLException {
        TenantInfo t = require(db, name);
        String key = newKey();
        Sql.update(db, "UPDATE rm_tenants SET key_hash = ? WHERE name = ?", hash(key), name);
        return new TenantInfo(t.name(), t.maxCores(), t.maxMemoryMiB(), t.createdAtEpochMillis(), key);
    }

    /** Removes a tenant; returns its last record. */
    static TenantInfo remove(Connection db, String name) throws SQLException {
        TenantInfo t = require(db, name);
        Sql.update(db, "DELETE FROM rm_tenants WHERE name = ?", name);
        return t;
    }

    static List<TenantInfo> list(Connection db) throws SQLException {
        return Sql.list(db, COLUMNS + " ORDER BY name", Tenants::row);
    }

    /** The tenant whose key this is, if any. */
    static Optional<TenantInfo> byKey(Connection db, String key) throws SQLException {
        List<TenantInfo> l = Sql.list(db, COLUMNS + " WHERE key_hash = ?", Tenants::row, hash(key));
        return l.isEmpty() ? Optional.empty() : Optional.of(l.getFirst());
    }

    static Optional<TenantInfo> find(Connection db, String name) throws SQLException {
        List<TenantInfo> l = Sql.list(db, COLUMNS + " WHERE name = ?", Tenants::row, name);
        return l.isEmpty() ? Optional.empty() : Optional.of(l.getFirst());
    }

    private static TenantInfo require(Connection db, String name) throws SQLException {
        return find(db, name).orElseThrow(() -> ApiException.notFound("unknown tenant '" + name + "'"));
    }

    /**
     * Refuses (409, with the reason) a lease of {@code cores} and {@code memoryMiB} that would take
     * the tenant's active leases past its quota. A tenant without a record or without quotas passes.
     */
    static void checkQuota(Connection db, String tenant, int cores, long memoryMiB) throws SQLException {
        Optional<TenantInfo> t = find(db, tenant);
        if (t.isEmpty() || (t.get().maxCores() == 0 && t.get().maxMemoryMiB() == 0)) {
            return;
        }
        long usedCores;
        long usedMemory;
        try (PreparedStatement ps = Sql.prepare(db, "SELECT COALESCE(SUM(cores), 0), COALESCE(SUM(memory_mib), 0) FROM"
                + " rm_leases WHERE state = 'ACTIVE' AND tenant = ?", tenant); ResultSet rs = ps.executeQuery()) {
            rs.next();
            usedCores = rs.getLong(1);
            usedMemory = rs.getLong(2);
        }
        TenantInfo q = t.get();
        if (q.maxCores() > 0 && usedCores + cores > q.maxCores()) {
            throw ApiException.quotaExceeded("tenant '" + tenant + "' holds " + usedCores + " of its " + q.maxCores()
                    + " cores in active leases; " + cores + " more would exceed its quota");
        }
        if (q.maxMemoryMiB() > 0 && usedMemory + memoryMiB > q.maxMemoryMiB()) {
            throw ApiException.quotaExceeded("tenant '" + tenant + "' holds " + usedMemory + " of its " + q.maxMemoryMiB()
                    + " MiB in active leases; " + memoryMiB + " MiB more would exceed its quota");
        }
    }

    private static TenantInfo row(ResultSet rs) throws SQLException {
        return new TenantInfo(rs.getString(1), rs.getInt(2), rs.getLong(3), rs.getLong(4), null);
    }
}
