package org.rfaas.resourcemanager;

import java.net.URI;
import org.rfaas.client.rm.ResourceManagerLeaseSource;
import org.rfaas.rmclient.ResourceManagerClient;
import org.rfaas.rmclient.TenantRequest;

/** Tenants for tests: made through the admin API, as {@code rfaas tenants add} makes them. */
public final class TestTenants {
    private TestTenants() {
    }

    /** Creates tenant {@code name} (no quotas) with {@code admin} and returns its API key. */
    public static String key(ResourceManagerClient admin, String name) {
        return admin.createTenant(new TenantRequest(name, 0, 0)).apiKey();
    }

    /** A lease source of a new tenant {@code name} that leases over the binary lease endpoint {@code endpoint}. */
    public static ResourceManagerLeaseSource leases(URI uri, String endpoint, ResourceManagerClient admin, String name) {
        return new ResourceManagerLeaseSource(uri, name, key(admin, name), endpoint);
    }

    /** A lease source of a new tenant {@code name} at the resource manager {@code uri}. */
    public static ResourceManagerLeaseSource leases(URI uri, ResourceManagerClient admin, String name) {
        return new ResourceManagerLeaseSource(uri, name, key(admin, name));
    }
}
