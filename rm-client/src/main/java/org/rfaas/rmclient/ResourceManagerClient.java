package org.rfaas.rmclient;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Java client of the resource manager's HTTP API ({@code /v1}), for executor managers (node
 * endpoints, authenticated with a {@link NodeCredential} derived from the cluster secret), client
 * libraries (lease endpoints, authenticated with the lease token) and operators (admin endpoints,
 * authenticated with the admin token). Thread-safe; one instance can serve many threads.
 *
 * <p>Every method throws {@link ResourceManagerException} (HTTP status, code and the server's
 * message) when the request is refused or the resource manager cannot be reached, and the subtypes
 * {@link LeaseRefusedException} (no capacity) and {@link LeaseRevokedException} (lease ended).
 *
 * <p><b>Failover.</b> The base URI may name several resource managers sharing one database, as in
 * {@code http://rm1:8090,rm2:8090} (one scheme, hosts separated by commas). A request that finds
 * its resource manager unreachable, or a standby (503), is sent to the next, round the list, until
 * one answers or the timeout has passed; the client stays with the one that answered. A single
 * lease request carries a request id ({@link LeaseRequest#requestId()}), so one whose answer was lost
 * is answered with the same lease when it is sent again; a batch request is not protected so.
 */
public final class ResourceManagerClient implements AutoCloseable {
    /** Shared mapper configuration: unknown properties are ignored so old clients survive new fields. */
    public static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final URI base;
    /** The resource managers named by the base URI (one, or several for failover). */
    private final List<String> bases;
    /** Index in {@link #bases} of the one that answered last. */
    private volatile int current;
    private final String adminToken;
    private final String clusterSecret;
    private final String apiKey;
    private final Duration timeout;
    /** Prefix of the request ids this client gives its lease requests: random, so unique across clients. */
    private final String requestIds = "c" + Long.toString(new java.security.SecureRandom().nextLong() >>> 1, 36) + "-";
    private final java.util.concurrent.atomic.AtomicLong requestCounter = new java.util.concurrent.atomic.AtomicLong();
    /** One keep-alive HTTP/1.1 client per entry of {@link #bases}. */
    private final List<Http1Client> http;

    /**
     * @param baseUri e.g. {@code http://127.0.0.1:8090}
     * @param adminToken admin token for the admin endpoints, or null
     * @param clusterSecret cluster secret for the node endpoints, or null
     * @param timeout per-request timeout
     */
    public ResourceManagerClient(URI baseUri, String adminToken, String clusterSecret, Duration timeout) {
        this(baseUri, adminToken, clusterSecret, null, timeout);
    }

    /**
     * @param baseUri e.g. {@code http://127.0.0.1:8090}
     * @param adminToken admin token for the admin endpoints, or null
     * @param clusterSecret cluster secret for the node endpoints, or null
     * @param apiKey a tenant's API key for lease requests, or null
     * @param timeout per-request timeout
     */
    public ResourceManagerClient(URI baseUri, String adminToken, String clusterSecret, String apiKey, Duration timeout) {
        this.apiKey = apiKey;
        String s = Objects.requireNonNull(baseUri, "baseUri").toString();
        s = s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
        this.base = URI.create(s);
        this.bases = split(s);
        this.adminToken = adminToken;
        this.clusterSecret = clusterSecret;
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.http = bases.stream().map(b -> new Http1Client(URI.create(b), timeout)).toList();
    }

    /**
     * A client for the lease endpoints of one tenant: its lease requests carry {@code apiKey}
     * (from {@code rfaas tenants add}); the resource manager bills the tenant the key belongs to.
     */
    public static ResourceManagerClient forTenant(URI baseUri, String apiKey) {
        return new ResourceManagerClient(baseUri, null, null, Objects.requireNonNull(apiKey, "apiKey"),
                Duration.ofSeconds(10));
    }

    /** A client for an executor manager (node endpoints). */
    public static ResourceManagerClient forNode(URI baseUri, String clusterSecret) {
        return new ResourceManagerClient(baseUri, null, Objects.requireNonNull(clusterSecret), Duration.ofSeconds(10));
    }

    /** A client for an operator or batch system (admin endpoints, and lease release by id). */
    public static ResourceManagerClient forAdmin(URI baseUri, String adminToken) {
        return new ResourceManagerClient(baseUri, Objects.requireNonNull(adminToken), null, Duration.ofSeconds(10));
    }

    /** The base URI this client talks to. */
    public URI baseUri() {
        return base;
    }

    // ---------------------------------------------------------------- node endpoints

    /** Registers (or re-registers) a node whose executor manager needs no port in its address. */
    public NodeInfo registerNode(String name, String address, String transport, int cores, long memoryMiB) {
        return registerNode(new NodeRegistration(name, address, 0, transport, cores, memoryMiB));
    }

    /** Registers (or re-registers, with new capacity) this executor manager's node; needs the cluster secret. */
    public NodeInfo registerNode(NodeRegistration node) {
        return send("POST", "/v1/nodes/" + enc(node.name()) + "/register", node, nodeAuth(node.name()), NodeInfo.class);
    }

    /**
     * Heartbeat of node {@code name}; the answer lists the node's leases that ended, whose
     * executors must be stopped. Status 410 with code {@link ApiError#NODE_REMOVED}: an administrator
     * removed the node, stop serving leases. Status 404: the resource manager does not know the
     * node (e.g. a new database): register again.
     */
    public HeartbeatResponse heartbeat(String name) {
        return heartbeat(name, null);
    }

    /**
     * A heartbeat that also reports what the node served since its manager started (for the
     * resource manager's per-node rates); {@code activity} may be null. Answers as {@link #heartbeat(String)}.
     */
    public HeartbeatResponse heartbeat(String name, NodeActivity activity) {
        return send("POST", "/v1/nodes/" + enc(name) + "/heartbeat", activity, nodeAuth(name), HeartbeatResponse.class);
    }

    /**
     * Reports the final accounting of lease {@code leaseId}, placed on node {@code node}. Reporting
     * the same lease twice is refused with 409 ({@link ApiError#CONFLICT}).
     */
    public LeaseBilling reportBilling(String node, long leaseId, BillingReport report) {
        return send("POST", "/v1/leases/" + leaseId + "/billing", report, nodeAuth(node), LeaseBilling.class);
    }

    /** Convenience form of {@link #reportBilling(String, long, BillingReport)}. */
    public LeaseBilling reportBilling(String node, long leaseId, long allocationNanos, long computeNanos,
            long hotPollingNanos, double memoryMiBSeconds) {
        return reportBilling(node, leaseId, new BillingReport(allocationNanos, computeNanos, hotPollingNanos, memoryMiBSeconds));
    }

    // ---------------------------------------------------------------- client endpoints

    /**
     * Asks for a lease of {@code cores} and {@code memoryMiB} on one node.
     *
     * It carries this client's API key ({@link #forTenant}), or the admin token (an operator
     * leasing for the named tenant).
     *
     * @param durationMillis 0 for the resource manager's default; cut to its maximum
     * @param tenant the tenant; with an API key it must be the key's tenant
     * @throws LeaseRefusedException when no node has the capacity or the tenant's quota is used up;
     *     the message says why
     */
    public LeaseGrant requestLease(int cores, long memoryMiB, long durationMillis, String tenant) {
        return requestLease(new LeaseRequest(cores, memoryMiB, durationMillis, tenant));
    }

    /**
     * Asks for a lease as {@code request} says. A request without a request id gets a fresh one, so
     * that the retries of a failover (which resend it) are granted once.
     */
    public LeaseGrant requestLease(LeaseRequest request) {
        LeaseRequest r = request.requestId() != null ? request : request.withRequestId(nextRequestId());
        return send("POST", "/v1/leases", r, leaseAuth(), LeaseGrant.class);
    }

    /** A request id no other request of this client carries (random prefix, counter). */
    private String nextRequestId() {
        return requestIds + Long.toString(requestCounter.incrementAndGet(), 36);
    }

    /**
     * Asks for a batch of leases in one round trip ({@code POST /v1/leases/batch}). A batch without a
     * request id gets a fresh one, so that the retries of a failover are granted once.
     *
     * @throws LeaseRefusedException when an all-or-nothing batch does not fit whole, or a
     *     best-effort batch not even once; the message says why
     */
    public LeaseBatchGrant requestLeases(LeaseBatchRequest batch) {
        LeaseBatchRequest b = batch.requestId() != null ? batch : batch.withRequestId(nextRequestId());
        return send("POST", "/v1/leases/batch", b, leaseAuth(), LeaseBatchGrant.class);
    }

    /**
     * Releases many leases in one round trip ({@code POST /v1/leases/release}); answers their
     * records, in the order given. Already ended leases are answered as they are. With an admin
     * token configured it is sent, otherwise each lease's token proves it is held.
     */
    public List<LeaseInfo> releaseLeases(LeaseBatchRelease batch) {
        return send("POST", "/v1/leases/release", batch, adminToken == null ? null : adminAuth(),
                new TypeReference<List<LeaseInfo>>() { });
    }

    /**
     * Extends a lease to now + {@code durationMillis}; the answer carries a new token (the old
     * one keeps its old expiry).
     *
     * @throws LeaseRevokedException when the lease has already ended
     */
    public LeaseGrant renewLease(LeaseGrant lease, long durationMillis) {
        return renewLease(lease.leaseId(), lease.token(), durationMillis);
    }

    /** Same as {@link #renewLease(LeaseGrant, long)} with the id and token given separately. */
    public LeaseGrant renewLease(long leaseId, String token, long durationMillis) {
        return send("POST", "/v1/leases/" + leaseId + "/renew", new LeaseRenewal(durationMillis), bearer(token), LeaseGrant.class);
    }

    /** Releases a lease; its capacity comes back at once. Releasing an ended lease is a no-op. */
    public LeaseInfo releaseLease(LeaseGrant lease) {
        return releaseLease(lease.leaseId(), lease.token());
    }

    /** Releases lease {@code leaseId} with its token, or with the admin token when {@code token} is null. */
    public LeaseInfo releaseLease(long leaseId, String token) {
        return send("DELETE", "/v1/leases/" + leaseId, null, token != null ? bearer(token) : adminAuth(), LeaseInfo.class);
    }

    /** The lease's current record (state, expiry, end reason), with its token or (null) the admin token. */
    public LeaseInfo lease(long leaseId, String token) {
        return send("GET", "/v1/leases/" + leaseId, null, token != null ? bearer(token) : adminAuth(), LeaseInfo.class);
    }

    /**
     * Throws {@link LeaseRevokedException} when the lease is no longer active, e.g. because its node
     * was drained; the client library calls this to turn a lost executor into a typed error.
     */
    public LeaseInfo checkActive(LeaseGrant lease) {
        LeaseInfo info = lease(lease.leaseId(), lease.token());
        if (!info.active()) {
            throw new LeaseRevokedException(410, "lease " + info.leaseId() + " is " + info.state() + ": " + info.endReason());
        }
        return info;
    }

    // ---------------------------------------------------------------- admin endpoints

    /** Adds a node on behalf of a batch system; its executor manager must heartbeat within the timeout. */
    public NodeInfo addNode(NodeRegistration node) {
        return send("POST", "/v1/nodes", node, adminAuth(), NodeInfo.class);
    }

    /** Stops placing leases on a node and revokes its active leases. */
    public NodeInfo drainNode(String name) {
        return send("POST", "/v1/nodes/" + enc(name) + "/drain", null, adminAuth(), NodeInfo.class);
    }

    /** Lets a drained node take leases again. */
    public NodeInfo resumeNode(String name) {
        return send("POST", "/v1/nodes/" + enc(name) + "/resume", null, adminAuth(), NodeInfo.class);
    }

    /** Removes a node: its active leases are revoked and it disappears from the node list. */
    public NodeInfo removeNode(String name) {
        return send("DELETE", "/v1/nodes/" + enc(name), null, adminAuth(), NodeInfo.class);
    }

    /** All nodes with their free capacity. */
    public List<NodeInfo> listNodes() {
        return send("GET", "/v1/nodes", null, adminAuth(), new TypeReference<List<NodeInfo>>() { });
    }

    /** One node. */
    public NodeInfo node(String name) {
        return send("GET", "/v1/nodes/" + enc(name), null, adminAuth(), NodeInfo.class);
    }

    /** All leases, newest first. */
    public List<LeaseInfo> listLeases() {
        return listLeases(null);
    }

    /** Leases in {@code state} (ACTIVE, RELEASED, EXPIRED, REVOKED), or all when null; newest first. */
    public List<LeaseInfo> listLeases(String state) {
        String q = state == null ? "" : "?state=" + enc(state);
        return send("GET", "/v1/leases" + q, null, adminAuth(), new TypeReference<List<LeaseInfo>>() { });
    }

    /** Creates a tenant; the answer carries its API key, the only time the key is shown. */
    public TenantInfo createTenant(TenantRequest tenant) {
        return send("POST", "/v1/tenants", tenant, adminAuth(), TenantInfo.class);
    }

    /** All tenants (without keys). */
    public List<TenantInfo> listTenants() {
        return send("GET", "/v1/tenants", null, adminAuth(), new TypeReference<List<TenantInfo>>() { });
    }

    /** Replaces a tenant's API key; the old key stops working at once. The answer carries the new key. */
    public TenantInfo rotateTenantKey(String name) {
        return send("POST", "/v1/tenants/" + enc(name) + "/key", null, adminAuth(), TenantInfo.class);
    }

    /** Removes a tenant: its key stops working; its active leases run to their end, its bills stay. */
    public TenantInfo removeTenant(String name) {
        return send("DELETE", "/v1/tenants/" + enc(name), null, adminAuth(), TenantInfo.class);
    }

    /** Billing per lease and per tenant. */
    public BillingSummary billing() {
        return send("GET", "/v1/billing", null, adminAuth(), BillingSummary.class);
    }

    /** Billing totals of one tenant (zeros when it has no billed lease). */
    public TenantBilling tenantBilling(String tenant) {
        return send("GET", "/v1/billing/tenants/" + enc(tenant), null, adminAuth(), TenantBilling.class);
    }

    /**
     * Closes the kept-alive connections. The client stays usable, but a request after this opens a
     * connection of its own and closes it when answered.
     */
    @Override
    public void close() {
        http.forEach(Http1Client::close);
    }

    // ---------------------------------------------------------------- plumbing

    private String nodeAuth(String node) {
        if (clusterSecret == null) {
            throw new IllegalStateException("node endpoints need the cluster secret; use ResourceManagerClient.forNode");
        }
        return bearer(NodeCredential.derive(clusterSecret, node));
    }

    /** Lease requests carry the tenant's API key, else the admin token (an operator leasing for a tenant). */
    private String leaseAuth() {
        return apiKey != null ? bearer(apiKey) : adminToken != null ? bearer(adminToken) : null;
    }

    private String adminAuth() {
        if (adminToken == null) {
            throw new IllegalStateException("admin endpoints need the admin token; use ResourceManagerClient.forAdmin");
        }
        return bearer(adminToken);
    }

    private static String bearer(String token) {
        return "Bearer " + Objects.requireNonNull(token, "token");
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private <T> T send(String method, String path, Object body, String auth, Class<T> type) {
        return send(method, path, body, auth, JSON.getTypeFactory().constructType(type));
    }

    private <T> T send(String method, String path, Object body, String auth, TypeReference<T> type) {
        return send(method, path, body, auth, JSON.getTypeFactory().constructType(type));
    }

    private <T> T send(String method, String path, Object body, String auth, JavaType type) {
        String json = exchange(method, path, body, auth);
        try {
            return JSON.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new ResourceManagerException("unreadable answer from " + base + path + ": " + e.getOriginalMessage(), e);
        }
    }

    private String exchange(String method, String path, Object body, String auth) {
        byte[] json;
        try {
            json = body == null ? null : JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode request body: " + e.getOriginalMessage(), e);
        }
        return Failover.call(bases.size(), current, timeout.toNanos(), k -> {
            String answer;
            try {
                answer = exchangeOnce(k, method, path, json, auth);
            } catch (ResourceManagerException e) {
                if (e.status() != 0 && e.status() != 503) {
                    current = k;
                }
                throw e;
            }
            current = k;
            return answer;
        });
    }

    private String exchangeOnce(int k, String method, String path, byte[] json, String auth) {
        String target = bases.get(k);
        Http1Client.Response resp;
        try {
            resp = http.get(k).exchange(method, path, auth, json);
        } catch (IOException e) {
            throw new ResourceManagerException("resource manager at " + target + " is unreachable (" + method + " " + path + "): " + e, e);
        }
        int status = resp.status();
        if (status >= 200 && status < 300) {
            return resp.body();
        }
        throw toException(method, path, status, resp.body());
    }

    /**
     * The resource managers a base URI names: {@code http://a:1,b:2/x} gives {@code http://a:1/x}
     * and {@code http://b:2/x}; a URI without commas gives itself.
     *
     * @throws IllegalArgumentException when an entry is empty or not an http(s) URL with a host
     */
    public static List<URI> endpoints(URI baseUri) {
        List<URI> out = new java.util.ArrayList<>();
        for (String s : split(Objects.requireNonNull(baseUri, "baseUri").toString())) {
            URI u;
            try {
                u = new URI(s);
            } catch (java.net.URISyntaxException e) {
                throw new IllegalArgumentException("malformed resource manager URI " + s + ": " + e.getMessage());
            }
            if (u.getHost() == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
                throw new IllegalArgumentException("resource manager URI must be http(s) with a host, got " + s);
            }
            out.add(u);
        }
        return List.copyOf(out);
    }

    /** {@code http://a:1,b:2/x} → {@code [http://a:1/x, http://b:2/x]}. */
    static List<String> split(String uri) {
        int scheme = uri.indexOf("://");
        if (scheme < 0 || uri.indexOf(',') < 0) {
            return List.of(uri);
        }
        int pathAt = uri.indexOf('/', scheme + 3);
        String hosts = pathAt < 0 ? uri.substring(scheme + 3) : uri.substring(scheme + 3, pathAt);
        String path = pathAt < 0 ? "" : uri.substring(pathAt);
        List<String> out = new java.util.ArrayList<>();
        for (String h : hosts.split(",", -1)) {
            if (h.isBlank()) {
                throw new IllegalArgumentException("empty host in resource manager URI " + uri);
            }
            out.add(uri.substring(0, scheme + 3) + h.trim() + path);
        }
        return List.copyOf(out);
    }

    private static ResourceManagerException toException(String method, String path, int status, String body) {
        String code = ApiError.INTERNAL;
        String message = body;
        try {
            ApiError err = JSON.readValue(body, ApiError.class);
            if (err.code() != null) {
                code = err.code();
            }
            if (err.message() != null) {
                message = err.message();
            }
        } catch (JsonProcessingException e) {
            message = "HTTP " + status + " from " + method + " " + path + ": " + body;
        }
        return ResourceManagerException.of(status, code, message);
    }
}
