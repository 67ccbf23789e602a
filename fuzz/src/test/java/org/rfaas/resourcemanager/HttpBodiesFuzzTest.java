package org.rfaas.resourcemanager;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.rfaas.fuzz.FuzzStats;
import org.rfaas.rmclient.BillingReport;
import org.rfaas.rmclient.LeaseBatchRelease;
import org.rfaas.rmclient.LeaseBatchRequest;
import org.rfaas.rmclient.LeaseRenewal;
import org.rfaas.rmclient.LeaseRequest;
import org.rfaas.rmclient.NodeActivity;
import org.rfaas.rmclient.NodeRegistration;
import org.rfaas.rmclient.TenantRequest;

/**
 * Every JSON body the resource manager's HTTP API accepts, decoded as a request handler does
 * ({@link ResourceManagerServer#parseBody}): the first input byte picks the body type, the rest
 * is the body. A body may only decode or be refused with {@link ApiException} (a 400); anything
 * else would be a 500 and fails the test.
 */
class HttpBodiesFuzzTest {
    private static final Class<?>[] BODIES = {LeaseRequest.class, LeaseBatchRequest.class, LeaseBatchRelease.class,
        LeaseRenewal.class, NodeRegistration.class, NodeActivity.class, BillingReport.class, TenantRequest.class};
    private static final FuzzStats STATS = FuzzStats.of("HttpBodiesFuzzTest");

    @FuzzTest
    @DictionaryEntries({"{\"tenant\":", "\"cores\":", "\"memoryMiB\":", "\"node\":", "\"leases\":[", "\"name\":",
        "\"address\":", "\"leaseId\":", "\"count\":", "\"seconds\":"})
    void parse(byte[] data) {
        if (data.length < 1) {
            return;
        }
        Class<?> type = BODIES[(data[0] & 0xff) % BODIES.length];
        String body = new String(data, 1, data.length - 1, StandardCharsets.UTF_8);
        boolean accepted = true;
        try {
            ResourceManagerServer.parseBody(body, type);
        } catch (ApiException refused) {
            accepted = false;
        }
        STATS.count(type.getSimpleName(), accepted);
    }
}
