package org.rfaas.resourcemanager;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.rfaas.protocol.lease.InvalidLeaseTokenException;
import org.rfaas.protocol.lease.LeaseClaims;
import org.rfaas.protocol.lease.LeaseToken;
import org.rfaas.rmclient.ApiError;
import org.rfaas.rmclient.ClusterEvent;
import org.rfaas.rmclient.BillingReport;
import org.rfaas.rmclient.LeaseBatchRelease;
import org.rfaas.rmclient.LeaseBatchRequest;
import org.rfaas.rmclient.LeaseRenewal;
import org.rfaas.rmclient.LeaseRequest;
import org.rfaas.rmclient.TenantRequest;
import org.rfaas.rmclient.NodeActivity;
import org.rfaas.rmclient.NodeCredential;
import org.rfaas.rmclient.NodeRegistration;
import org.rfaas.resourcemanager.events.EventBus;
import org.rfaas.resourcemanager.events.EventStream;
import org.rfaas.resourcemanager.web.Observability;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP JSON API ({@code /v1}) over {@link ClusterState}. Three audiences, three credentials
 * (all {@code Authorization: Bearer ...}):
 * <ul>
 *   <li>admin endpoints (batch system, operators): the admin token;</li>
 *   <li>node endpoints (executor managers): the {@link NodeCredential} of the node, derived from the
 *       cluster secret;</li>
 *   <li>lease endpoints (clients): a tenant's API key to ask for a lease (the tenant billed is the
 *       key's; the admin token leases for the tenant named in the body); the lease's own token (or
 *       the admin token) to read, renew or release it.</li>
 *   <li>tenant endpoints ({@code /v1/tenants}: create with quotas, list, rotate key, remove): the
 *       admin token.</li>
 *   <li>the event stream ({@code GET /v1/events}): a lease token (events of that tenant's leases,
 *       node and capacity events) or the admin token (every event).</li>
 * </ul>
 * Errors are {@link ApiError} bodies: 400 malformed or invalid, 401 credentials, 403 an API key used
 * for another tenant, 404 unknown node, lease or tenant, 409 no capacity, quota exceeded or
 * duplicate, 410 lease ended.
 */
final class ResourceManagerServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ResourceManagerServer.class);
    private static final Set<String> LEASE_STATES = Set.of(ClusterState.ACTIVE, ClusterState.RELEASED,
            ClusterState.EXPIRED, ClusterState.REVOKED);

    /** Strict on input: unknown fields and trailing garbage are errors, so typos do not pass silently. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** The state this process serves; null while it is a standby (answers 503). */
    private final java.util.function.Supplier<ClusterState> states;
    private final ResourceManagerConfig config;
    private static final String EVENT_FILTER = "rfaas.eventFilter";
    private static final int MAX_SUBSCRIBERS = 1024;
    private final byte[] adminToken;
    private final Javalin app;
    private final EventBus events;
    private final Observability observability;
    private final LeaseToken tokens;

    ResourceManagerServer(java.util.function.Supplier<ClusterState> states, ResourceManagerConfig config,
            Observability observability, EventBus events) {
        this.states = states;
        this.config = config;
        this.events = events;
        this.observability = observability;
        this.tokens = LeaseToken.ofSecret(config.clusterSecret());
        this.adminToken = config.adminToken().getBytes(StandardCharsets.UTF_8);
        this.app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            // Every grant's handler waits for its group commit: on virtual threads that wait parks a
            // continuation instead of a kernel thread (measured: docs/journal/2026-12-rm-scale.md).
            c.useVirtualThreads = true;
            c.requestLogger.http(observability::httpRequest);
            // HTTPS only when configured: the one connector is the server's only port
            HttpLimits.apply(c, config);
        });
        routes();
        observability.routes(app, this::admin); // GET /metrics, /dashboard
    }

    /** Starts listening; returns the bound port. */
    int start() {
        app.start(); // on HttpLimits' connector, which has the configured host and port
        return ((ServerConnector) app.jettyServer().server().getConnectors()[0]).getLocalPort();
    }

    private void routes() {
        app.get("/v1/health", ctx -> json(ctx, 200, Map.of("status", "ok", "role", states.get() == null ? "standby" : "leader")));

        // client (first: Javalin tries a method's routes in order, one regex match each)
        app.post("/v1/leases", ctx -> json(ctx, 201, state().lifecycle().requestLease(
                tenantBody(ctx, LeaseRequest.class, LeaseRequest::tenant), now())));
        app.post("/v1/leases/batch", ctx -> json(ctx, 201, state().lifecycle().requestLeases(
                tenantBody(ctx, LeaseBatchRequest.class, LeaseBatchRequest::tenant), now())));
        app.post("/v1/leases/release", ctx -> {
            LeaseBatchRelease batch = body(ctx, LeaseBatchRelease.class);
            String token = bearer(ctx);
            boolean admin = token != null && MessageDigest.isEqual(adminToken, token.getBytes(StandardCharsets.UTF_8));
            if (!admin) {
                for (LeaseBatchRelease.Lease l : batch.leases()) {
                    if (l.token() == null || l.token().isBlank()) {
                        throw ApiException.unauthorized("lease " + l.leaseId() + ": missing token (or send the admin token)");
                    }
                    state().authorizeLeaseToken(l.leaseId(), l.token());
                }
            }
            json(ctx, 200, state().lifecycle().releaseLeases(batch.leases().stream().map(LeaseBatchRelease.Lease::leaseId).toList(),
                    admin ? "released by an administrator" : "released by its client", now()));
        });
        app.get("/v1/leases/{id}", ctx -> {
            long id = leaseId(ctx);
            leaseHolderOrAdmin(ctx, id);
            json(ctx, 200, state().lease(id));
        });
        app.post("/v1/leases/{id}/renew", ctx -> {
            long id = leaseId(ctx);
            leaseHolderOrAdmin(ctx, id);
            LeaseRenewal r = body(ctx, LeaseRenewal.class);
            json(ctx, 200, state().lifecycle().renewLease(id, r.durationMillis(), now()));
        });
        app.delete("/v1/leases/{id}", ctx -> {
            long id = leaseId(ctx);
            boolean admin = leaseHolderOrAdmin(ctx, id);
            json(ctx, 200, state().lifecycle().releaseLease(id, admin ? "released by an administrator" : "released by its client", now()));
        });

        // admin
        app.post("/v1/nodes", ctx -> {
            admin(ctx);
            json(ctx, 201, state().registerNode(body(ctx, NodeRegistration.class), now(), true));
        });
        app.get("/v1/nodes", ctx -> {
            admin(ctx);
            json(ctx, 200, state().nodes());
        });
        app.get("/v1/nodes/{name}", ctx -> {
            admin(ctx);
            json(ctx, 200, state().node(ctx.pathParam("name")));
        });
        app.post("/v1/nodes/{name}/drain", ctx -> {
            admin(ctx);
            json(ctx, 200, state().drainNode(ctx.pathParam("name"), now()));
        });
        app.post("/v1/nodes/{name}/resume", ctx -> {
            admin(ctx);
            json(ctx, 200, state().resumeNode(ctx.pathParam("name")));
        });
        app.delete("/v1/nodes/{name}", ctx -> {
            admin(ctx);
            json(ctx, 200, state().removeNode(ctx.pathParam("name"), now()));
        });
        app.get("/v1/leases", ctx -> {
            admin(ctx);
            String s = ctx.queryParam("state");
            if (s != null) {
                s = s.toUpperCase(Locale.ROOT);
                if (!LEASE_STATES.contains(s)) {
                    throw ApiException.badRequest("state must be one of " + LEASE_STATES + ", got " + ctx.queryParam("state"));
                }
            }
            json(ctx, 200, state().leases(s));
        });
        app.post("/v1/tenants", ctx -> {
            admin(ctx);
            json(ctx, 201, state().createTenant(body(ctx, TenantRequest.class), now()));
        });
        app.get("/v1/tenants", ctx -> {
            admin(ctx);
            json(ctx, 200, state().tenants());
        });
        app.post("/v1/tenants/{name}/key", ctx -> {
            admin(ctx);
            json(ctx, 200, state().rotateTenantKey(ctx.pathParam("name")));
        });
        app.delete("/v1/tenants/{name}", ctx -> {
            admin(ctx);
            json(ctx, 200, state().removeTenant(ctx.pathParam("name")));
        });
        app.get("/v1/billing", ctx -> {
            admin(ctx);
            json(ctx, 200, state().billing());
        });
        app.get("/v1/billing/tenants/{tenant}", ctx -> {
            admin(ctx);
            json(ctx, 200, state().tenantBilling(ctx.pathParam("tenant")));
        });

        // node (executor manager)
        app.post("/v1/nodes/{name}/register", ctx -> {
            String name = ctx.pathParam("name");
            node(ctx, name);
            NodeRegistration reg = body(ctx, NodeRegistration.class);
            if (!reg.name().equals(name)) {
                throw ApiException.badRequest("body names node '" + reg.name() + "' but the path names '" + name + "'");
            }
            json(ctx, 200, state().registerNode(reg, now(), false));
        });
        app.post("/v1/nodes/{name}/heartbeat", ctx -> {
            String name = ctx.pathParam("name");
            node(ctx, name);
            // the body (what the node served so far) is optional: older managers send none
            NodeActivity activity = ctx.body().isBlank() ? null : body(ctx, NodeActivity.class);
            long now = now();
            json(ctx, 200, state().heartbeat(name, now));
            if (activity != null) {
                observability.nodeActivity(name, activity, now);
            }
        });
        app.post("/v1/leases/{id}/billing", ctx -> {
            long id = leaseId(ctx);
            BillingReport report = body(ctx, BillingReport.class);
            node(ctx, state().leaseNode(id));
            json(ctx, 201, state().reportBilling(id, report, now()));
        });

        // events (Server-Sent Events): authorized in a before-handler, so a refusal is a JSON error
        app.before("/v1/events", ctx -> {
            state(); // a standby publishes nothing: refuse (503) so that the subscriber fails over to the leader
            if (events.subscriberCount() >= MAX_SUBSCRIBERS) {
                throw new ApiException(503, ApiError.UNAVAILABLE, "too many event subscribers (" + MAX_SUBSCRIBERS + ")");
            }
            ctx.attribute(EVENT_FILTER, eventFilter(ctx));
            String accept = ctx.header("Accept");
            if (accept == null || !accept.contains("text/event-stream")) {
                throw ApiException.badRequest("the event stream needs 'Accept: text/event-stream'");
            }
        });
        app.sse("/v1/events", client -> EventStream.serve(events, client.ctx().attribute(EVENT_FILTER), client));

        app.exception(ApiException.class, (e, ctx) -> error(ctx, e.status, e.code, e.getMessage()));
        app.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(),
                e.getStatus() == 404 ? ApiError.NOT_FOUND : ApiError.BAD_REQUEST,
                e.getStatus() == 404 ? "no such endpoint: " + ctx.method() + " " + ctx.path() : e.getMessage()));
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            error(ctx, 500, ApiError.INTERNAL, "internal error: " + e.getMessage());
        });
        app.error(404, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty() || !ctx.result().startsWith("{")) {
                error(ctx, 404, ApiError.NOT_FOUND, "no such endpoint: " + ctx.method() + " " + ctx.path());
            }
        });
        app.error(405, ctx -> error(ctx, 405, ApiError.BAD_REQUEST, "method " + ctx.method() + " not allowed on " + ctx.path()));
    }

    /**
     * What the bearer may see: everything for the admin; for a lease token, the events of its
     * tenant's leases plus node and capacity events.
     */
    private java.util.function.Predicate<ClusterEvent> eventFilter(Context ctx) {
        String token = bearer(ctx);
        if (token == null) {
            throw ApiException.unauthorized("event stream: missing 'Authorization: Bearer <lease token or admin token>'");
        }
        if (MessageDigest.isEqual(adminToken, token.getBytes(StandardCharsets.UTF_8))) {
            return e -> true;
        }
        LeaseClaims claims;
        try {
            claims = tokens.verify(token, Long.MIN_VALUE);
        } catch (InvalidLeaseTokenException e) {
            throw ApiException.unauthorized("event stream: lease token refused: " + e.getMessage());
        }
        String tenant = claims.tenant();
        return e -> !e.isLeaseEvent() || e.tenant().equals(tenant);
    }

    /** The served state; a standby refuses with 503 so that clients given several URLs try the next. */
    private ClusterState state() {
        ClusterState s = states.get();
        if (s == null) {
            throw new ApiException(503, ApiError.UNAVAILABLE, "this resource manager is a standby; the leader serves");
        }
        return s;
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    /**
     * A lease request's body with its tenant authenticated: a tenant's API key bills that tenant (a
     * body naming another one is refused); the admin token (an operator or a batch system) leases
     * for the tenant the body names.
     */
    private <T> T tenantBody(Context ctx, Class<T> type, java.util.function.Function<T, String> tenantOf) {
        String key = bearer(ctx);
        if (key == null) {
            throw ApiException.unauthorized("lease request: missing 'Authorization: Bearer <tenant API key>'");
        }
        T req = body(ctx, type);
        if (MessageDigest.isEqual(adminToken, key.getBytes(StandardCharsets.UTF_8))) {
            return req;
        }
        String tenant = state().authenticateTenant(key);
        if (!tenant.equals(tenantOf.apply(req))) {
            throw ApiException.forbidden("lease request: the API key belongs to tenant '" + tenant + "', the request names '"
                    + tenantOf.apply(req) + "'");
        }
        return req;
    }

    private void admin(Context ctx) {
        String token = bearer(ctx);
        if (token == null || !MessageDigest.isEqual(adminToken, token.getBytes(StandardCharsets.UTF_8))) {
            throw ApiException.unauthorized(token == null ? "admin endpoint: missing 'Authorization: Bearer <admin token>'"
                    : "admin endpoint: wrong admin token");
        }
    }

    private void node(Context ctx, String name) {
        String token = bearer(ctx);
        if (token == null) {
            throw ApiException.unauthorized("node endpoint: missing 'Authorization: Bearer <node credential>'");
        }
        if (!NodeCredential.matches(config.clusterSecret(), name, token)) {
            throw ApiException.unauthorized("node endpoint: the credential does not belong to node '" + name
                    + "' (derived from another cluster secret or for another node)");
        }
    }

    /** Accepts the lease's own token or the admin token; returns true for the admin. */
    private boolean leaseHolderOrAdmin(Context ctx, long id) {
        String token = bearer(ctx);
        if (token == null) {
            throw ApiException.unauthorized("lease endpoint: missing 'Authorization: Bearer <lease token>'");
        }
        if (MessageDigest.isEqual(adminToken, token.getBytes(StandardCharsets.UTF_8))) {
            return true;
        }
        state().authorizeLeaseToken(id, token);
        return false;
    }

    private static String bearer(Context ctx) {
        String h = ctx.header("Authorization");
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String t = h.substring(7).trim();
        return t.isEmpty() ? null : t;
    }

    private static long leaseId(Context ctx) {
        String s = ctx.pathParam("id");
        try {
            long id = Long.parseLong(s);
            if (id <= 0) {
                throw ApiException.badRequest("lease id must be positive, got " + s);
            }
            return id;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("lease id must be a number, got '" + s + "'");
        }
    }

    private static <T> T body(Context ctx, Class<T> type) {
        return parseBody(ctx.body(), type);
    }

    /**
     * Decodes a request body strictly; anything that is not a valid {@code type} is an
     * {@link ApiException} (400) naming the fault. Package-private for the decoders' fuzz test.
     */
    static <T> T parseBody(String text, Class<T> type) {
        if (text.isBlank()) {
            throw ApiException.badRequest("request body is empty; expected a JSON " + type.getSimpleName());
        }
        try {
            return JSON.readValue(text, type);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause();
            throw ApiException.badRequest("invalid " + type.getSimpleName() + ": "
                    + (cause != null ? cause.getMessage() : e.getOriginalMessage()));
        } catch (JsonProcessingException e) {
            String why = e.getOriginalMessage();
            int hint = why.indexOf(" (set DeserializationConfig");
            throw ApiException.badRequest("malformed " + type.getSimpleName() + " JSON: " + (hint > 0 ? why.substring(0, hint) : why));
        }
    }

    private static void json(Context ctx, int status, Object value) throws JsonProcessingException {
        ctx.status(status).contentType("application/json").result(JSON.writeValueAsString(value));
    }

    private static void error(Context ctx, int status, String code, String message) {
        try {
            json(ctx, status, new ApiError(status, code, message));
        } catch (JsonProcessingException e) {
            ctx.status(status).result(message);
        }
    }

    @Override
    public void close() {
        app.stop();
    }
}
