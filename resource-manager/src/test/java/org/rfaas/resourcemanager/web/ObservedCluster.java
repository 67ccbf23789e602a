package org.rfaas.resourcemanager.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.rfaas.rmclient.NodeCredential;
import org.rfaas.resourcemanager.ResourceManager;
import org.rfaas.resourcemanager.ResourceManagerConfig;

/**
 * A resource manager started in this JVM for the observability tests, driven through its HTTP
 * API with plain requests (admin, node and lease credentials), so the tests see exactly what an
 * operator's tools see.
 */
public final class ObservedCluster implements AutoCloseable {
    public static final String ADMIN = "observability-admin-token-0123";
    public static final String SECRET = "observability-cluster-secret-0123";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    /** An HTTP answer. */
    public record Answer(int status, String body, String contentType) {
        public JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    private final ResourceManager rm;
    private final java.util.Map<String, String> tenantKeys = new java.util.HashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(PATIENCE).build();

    private ObservedCluster(ResourceManager rm) {
        this.rm = rm;
    }

    /** Starts a resource manager with its H2 database in {@code dir}. */
    public static ObservedCluster start(Path dir, boolean metricsOpen) throws Exception {
        ResourceManagerConfig c = ResourceManagerConfig.defaults(ADMIN, SECRET, dir);
        // nodes added by the admin never send heartbeats: a long timeout keeps them up during the test
        c = new ResourceManagerConfig(c.host(), 0, ADMIN, SECRET, c.dataDir(), null, null, null, 600_000, null, 0, 0, 0, 0,
                metricsOpen);
        return new ObservedCluster(ResourceManager.start(c));
    }

    public URI uri() {
        return rm.uri();
    }

    /** {@code method path} with {@code body} (JSON or null) and a bearer token (or null). */
    public Answer call(String method, String path, String body, String token) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(rm.uri().resolve(path)).timeout(PATIENCE)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
    }

    private Answer expect(int status, Answer a) {
        if (a.status() != status) {
            throw new AssertionError("expected HTTP " + status + ", got " + a.status() + ": " + a.body());
        }
        return a;
    }

    /** Registers a node as the batch system would (admin). */
    public void addNode(String name, int cores, long memoryMiB) throws IOException, InterruptedException {
        expect(201, call("POST", "/v1/nodes", """
                {"name": "%s", "address": "127.0.0.1", "port": 7000, "transport": "tcp", "cores": %d, "memoryMiB": %d}
                """.formatted(name, cores, memoryMiB), ADMIN));
    }

    /** Asks for a lease as a client; returns the grant (id in {@code leaseId}, token in {@code token}). */
    public JsonNode lease(String tenant, int cores, long memoryMiB) throws IOException, InterruptedException {
        return expect(201, requestLease(tenant, cores, memoryMiB)).json();
    }

    /** Asks for a lease and returns the raw answer (409 when refused). */
    public Answer requestLease(String tenant, int cores, long memoryMiB) throws IOException, InterruptedException {
        return call("POST", "/v1/leases", """
                {"cores": %d, "memoryMiB": %d, "durationMillis": 0, "tenant": "%s"}""".formatted(cores, memoryMiB, tenant),
                tenantKey(tenant));
    }

    /** The tenant's API key, the tenant made (as an operator would) at its first lease. */
    private synchronized String tenantKey(String tenant) throws IOException, InterruptedException {
        String key = tenantKeys.get(tenant);
        if (key == null) {
            key = expect(201, call("POST", "/v1/tenants", """
                    {"name": "%s", "maxCores": 0, "maxMemoryMiB": 0}""".formatted(tenant), ADMIN)).json().get("apiKey").asText();
            tenantKeys.put(tenant, key);
        }
        return key;
    }

    /** Ends a lease with its own token, as its client would. */
    public void release(JsonNode grant) throws IOException, InterruptedException {
        expect(200, call("DELETE", "/v1/leases/" + grant.get("leaseId").asLong(), null, grant.get("token").asText()));
    }

    /** Reports a lease's final accounting as its node's executor manager would. */
    public void bill(JsonNode grant, long allocationNanos, long computeNanos, long hotPollingNanos, double memoryMiBSeconds)
            throws IOException, InterruptedException {
        String node = grant.get("node").asText();
        expect(201, call("POST", "/v1/leases/" + grant.get("leaseId").asLong() + "/billing", """
                {"allocationNanos": %d, "computeNanos": %d, "hotPollingNanos": %d, "memoryMiBSeconds": %s}
                """.formatted(allocationNanos, computeNanos, hotPollingNanos, memoryMiBSeconds),
                NodeCredential.derive(SECRET, node)));
    }

    /**
     * Heartbeats as the node's executor manager would, reporting what it served so far
     * ({@code activity} is a NodeActivity JSON body, or null for none); returns the raw answer.
     */
    public Answer heartbeat(String node, String activity) throws IOException, InterruptedException {
        return call("POST", "/v1/nodes/" + node + "/heartbeat", activity, NodeCredential.derive(SECRET, node));
    }

    /** Drains a node (admin): its leases are revoked. */
    public void drain(String node) throws IOException, InterruptedException {
        expect(200, call("POST", "/v1/nodes/" + node + "/drain", null, ADMIN));
    }

    @Override
    public void close() throws Exception {
        rm.close();
    }
}
