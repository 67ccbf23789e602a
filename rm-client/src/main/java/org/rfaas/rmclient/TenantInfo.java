package org.rfaas.rmclient;

/**
 * A tenant as the resource manager keeps it (never with its API key, which is stored hashed).
 *
 * @param name the tenant's name
 * @param maxCores cores quota over its active leases; 0: none
 * @param maxMemoryMiB memory quota over its active leases; 0: none
 * @param createdAtEpochMillis when it was created
 * @param apiKey the API key, present only in the answer that created or rotated it; null otherwise
 */
public record TenantInfo(String name, int maxCores, long maxMemoryMiB, long createdAtEpochMillis, String apiKey) {
}
