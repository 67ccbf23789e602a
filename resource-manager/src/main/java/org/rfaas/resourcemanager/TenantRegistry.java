package org.rfaas.resourcemanager;

import java.util.List;
import org.rfaas.rmclient.TenantInfo;
import org.rfaas.rmclient.TenantRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tenant operations of {@link ClusterState}: create with quotas, rotate a key, remove, list, and
 * the API key check of lease requests; each change goes through {@link ClusterState#change} like
 * every other (memory under the state lock, then the durable log).
 */
final class TenantRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterState.class);

    private final ClusterState cluster;

    TenantRegistry(ClusterState cluster) {
        this.cluster = cluster;
    }

    TenantInfo create(TenantRequest t, long now) {
        String key = Tenants.newKey();
        TenantInfo created = cluster.change(now, c -> {
            if (cluster.live.tenants.byName.containsKey(t.name())) {
                throw ApiException.conflict("tenant '" + t.name() + "' exists; rotate its key or remove it first");
            }
            Tenants.Tenant rec = new Tenants.Tenant(t.name(), Tenants.hash(key), t.maxCores(), t.maxMemoryMiB(), now);
            cluster.live.tenants.put(rec);
            c.write("INSERT INTO rm_tenants (name, key_hash, max_cores, max_memory_mib, created_at) VALUES (?, ?, ?, ?, ?)",
                    rec.name(), rec.keyHash(), rec.maxCores(), rec.maxMemoryMiB(), now);
            return rec.info(key);
        });
        LOG.info("tenant {} created (quota: {} cores, {} MiB; 0 = none)", t.name(), t.maxCores(), t.maxMemoryMiB());
        return created;
    }

    TenantInfo rotateKey(String name) {
        String key = Tenants.newKey();
        TenantInfo t = cluster.change(System.currentTimeMillis(), c -> {
            Tenants.Tenant old = cluster.live.tenants.require(name);
            Tenants.Tenant rec = new Tenants.Tenant(name, Tenants.hash(key), old.maxCores(), old.maxMemoryMiB(), old.createdAt());
            cluster.live.tenants.put(rec);
            c.write("UPDATE rm_tenants SET key_hash = ? WHERE name = ?", rec.keyHash(), name);
            return rec.info(key);
        });
        LOG.info("tenant {}: API key rotated", name);
        return t;
    }

    TenantInfo remove(String name) {
        TenantInfo t = cluster.change(System.currentTimeMillis(), c -> {
            Tenants.Tenant old = cluster.live.tenants.require(name);
            cluster.live.tenants.remove(name);
            c.write("DELETE FROM rm_tenants WHERE name = ?", name);
            return old.info(null);
        });
        LOG.info("tenant {} removed", name);
        return t;
    }

    List<TenantInfo> list() {
        cluster.lock.lock();
        try {
            return cluster.live.tenants.list();
        } finally {
            cluster.lock.unlock();
        }
    }

    /** The tenant an API key belongs to; 401 when none. */
    String authenticate(String apiKey) {
        String hash = Tenants.hash(apiKey);
        String name;
        cluster.lock.lock();
        try {
            name = cluster.live.tenants.byKeyHash.get(hash);
        } finally {
            cluster.lock.unlock();
        }
        if (name == null) {
            throw ApiException.unauthorized("lease request: unknown API key (create one with `rfaas tenants add`; a rotated"
                    + " or removed tenant's old key stops working)");
        }
        return name;
    }
}
