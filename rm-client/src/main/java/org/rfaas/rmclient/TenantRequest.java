package org.rfaas.rmclient;

/**
 * An operator's request to create a tenant (admin endpoint {@code POST /v1/tenants}).
 *
 * @param name the tenant's name, which its leases and bills carry
 * @param maxCores the most cores its active leases may hold together; 0: no quota
 * @param maxMemoryMiB the most memory its active leases may hold together; 0: no quota
 */
public record TenantRequest(String name, int maxCores, long maxMemoryMiB) {
    public TenantRequest {
        Checks.name("name", name);
        Checks.nonNegative("maxCores", maxCores);
        Checks.nonNegative("maxMemoryMiB", maxMemoryMiB);
    }
}
