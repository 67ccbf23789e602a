package org.rfaas.resourcemanager;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.rfaas.fuzz.FuzzStats;
import java.util.Map;
import java.util.LinkedHashMap;
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

    /** Valid bodies, one per type (the selector byte first): where fuzzing starts. */
    static Map<String, byte[]> seeds() {
        String[] bodies = {
            "{\"cores\":2,\"memoryMiB\":256,\"durationMillis\":60000,\"tenant\":\"t\",\"placement\":null}",
            "{\"count\":4,\"cores\":1,\"memoryMiB\":128,\"durationMillis\":60000,\"tenant\":\"t\",\"maxPerNode\":2,"
                    + "\"mode\":\"all-or-nothing\",\"placement\":null}",
            "{\"leases\":[{\"leaseId\":5,\"token\":\"abc.def\"}]}",
            "{\"durationMillis\":60000}",
            "{\"name\":\"n1\",\"address\":\"10.0.0.1\",\"port\":4000,\"transport\":\"tcp\",\"cores\":8,"
                    + "\"memoryMiB\":4096}",
            "{\"invocations\":10,\"failedInvocations\":0,\"coldStarts\":1,\"coldStartNanos\":5000}",
            "{\"allocationNanos\":1,\"computeNanos\":2,\"hotPollingNanos\":3,\"memoryMiBSeconds\":1.5}",
            "{\"name\":\"t\",\"maxCores\":8,\"maxMemoryMiB\":4096}"};
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        for (int i = 0; i < BODIES.length; i++) {
            byte[] text = bodies[i].getBytes(StandardCharsets.UTF_8);
            byte[] seed = new byte[1 + text.length];
            seed[0] = (byte) i;
            System.arraycopy(text, 0, seed, 1, text.length);
            seeds.put(BODIES[i].getSimpleName(), seed);
        }
        return seeds;
    }
}
