package org.rfaas.resourcemanager;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.rfaas.rmclient.LeaseBatchGrant;
import org.rfaas.rmclient.LeaseBatchRequest;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.rmclient.LeaseRequest;
import org.rfaas.rmclient.NodeInfo;
import org.rfaas.rmclient.TenantBilling;
import org.rfaas.resourcemanager.web.Observability;
import org.rfaas.resourcemanager.events.EventBus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The resource manager process: the database of nodes, leases and billing, its HTTP API, and a
 * sweeper that expires leases and marks silent nodes down. {@link #start} returns once the API
 * listens; {@link #close} stops it and closes the database (nothing is lost: every change was
 * committed when its request was answered).
 */
public final class ResourceManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ResourceManager.class);

    private final ClusterState state;
    private final ResourceManagerServer server;
    private final Observability observability;
    private final ScheduledExecutorService sweeper;
    private final int port;
    private final ResourceManagerConfig config;
    private final EventBus events;

    private ResourceManager(ResourceManagerConfig config, ClusterState state, ResourceManagerServer server, int port,
            Observability observability, EventBus events) {
        this.config = config;
        this.observability = observability;
        this.events = events;
        this.state = state;
        this.server = server;
        this.port = port;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rm-sweeper");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(this::sweep, config.sweepIntervalMillis(), config.sweepIntervalMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Opens the database, starts the HTTP API and the sweeper. */
    public static ResourceManager start(ResourceManagerConfig config) throws SQLException, java.io.IOException {
        if (config.databaseUrl().startsWith("jdbc:h2:file:")) {
            Files.createDirectories(Path.of(config.dataDir()).toAbsolutePath());
        }
        EventBus events = new EventBus();
        ClusterState state = ClusterState.open(config, events);
        Observability observability = null;
        try {
            state.graceAfterRestart(System.currentTimeMillis());
            observability = new Observability(view(state), config.metricsOpen());
            state.observe(observability.observer());
            ResourceManagerServer server = new ResourceManagerServer(state, config, observability, events);
            int port = server.start();
            LOG.info("resource manager listening on http://{}:{}/v1 (database {}, placement {}, heartbeat timeout {} ms)",
                    config.host(), port, redact(config.databaseUrl()), config.placementPolicy(), config.heartbeatTimeoutMillis());
            LOG.info("dashboard: http://{}:{}/dashboard#token=<admin token>; Prometheus metrics: GET /metrics{}", config.host(),
                    port, config.metricsOpen() ? " (open)" : " (admin token)");
            return new ResourceManager(config, state, server, port, observability, events);
        } catch (RuntimeException e) {
            if (observability != null) {
                observability.close();
            }
            state.close();
            throw e;
        }
    }

    private static ClusterView view(ClusterState state) {
        return new ClusterView() {
            @Override
            public List<NodeInfo> nodes() {
                return state.nodes();
            }

            @Override
            public List<LeaseInfo> activeLeases() {
                return state.leases(ClusterState.ACTIVE);
            }

            @Override
            public List<TenantBilling> tenantBilling() {
                return state.billing().tenants();
            }
        };
    }

    private static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^;&]*", "$1***");
    }

    /**
     * The bus every committed change is published on (lease granted / revoked / ended / expired,
     * node added / drained / resumed / down / removed, capacity freed), for in-process consumers.
     */
    public EventBus events() {
        return events;
    }

    /**
     * Grants a lease in this process: the same state, placement and durability as
     * {@code POST /v1/leases}, without HTTP (an embedding scheduler; benchmarks that separate the
     * state's cost from the transport's).
     *
     * @throws RuntimeException with the API's message (e.g. no capacity) when it cannot be granted
     */
    public LeaseGrant requestLease(LeaseRequest request) {
        return state.requestLease(request, System.currentTimeMillis());
    }

    /** A batch of leases in this process, as {@code POST /v1/leases/batch}. */
    public LeaseBatchGrant requestLeases(LeaseBatchRequest request) {
        return state.requestLeases(request, System.currentTimeMillis());
    }

    /** Releases leases in this process, as {@code POST /v1/leases/release} with the admin token. */
    public List<LeaseInfo> releaseLeases(List<Long> leaseIds) {
        return state.releaseLeases(leaseIds, "released in process", System.currentTimeMillis());
    }

    /** The port the HTTP API listens on. */
    public int port() {
        return port;
    }

    /** Base URI of the HTTP API, e.g. {@code http://127.0.0.1:8090} ({@code https} with TLS configured). */
    public java.net.URI uri() {
        String h = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        return java.net.URI.create((config.tls() != null ? "https://" : "http://") + h + ":" + port);
    }

    private void sweep() {
        try {
            state.sweep(System.currentTimeMillis());
        } catch (RuntimeException e) {
            LOG.error("sweeper failed; retrying in {} ms", config.sweepIntervalMillis(), e);
        }
    }

    /**
     * Starts a resource manager, prints {@code rfaas resource-manager listening on <uri>} to
     * {@code out}, and serves until the JVM is asked to exit (SIGTERM, Ctrl-C), then closes cleanly.
     */
    public static void runUntilShutdown(ResourceManagerConfig config, java.io.PrintStream out)
            throws SQLException, java.io.IOException, InterruptedException {
        ResourceManager rm = start(config);
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                rm.close();
            } catch (SQLException | RuntimeException e) {
                LOG.error("closing the resource manager failed", e);
            } finally {
                closed.countDown();
            }
        }, "rm-shutdown"));
        out.println("rfaas resource-manager listening on " + rm.uri());
        out.flush();
        closed.await();
    }

    /** Entry point for a bare JVM: {@code java ... org.rfaas.resourcemanager.ResourceManager CONFIG.json}. */
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: ResourceManager CONFIG.json");
            System.exit(2);
        }
        runUntilShutdown(ResourceManagerConfig.load(Path.of(args[0])), System.out);
    }

    @Override
    public void close() throws SQLException {
        sweeper.shutdownNow();
        observability.close();
        try {
            server.close();
        } finally {
            state.close();
        }
        LOG.info("resource manager stopped");
    }
}
