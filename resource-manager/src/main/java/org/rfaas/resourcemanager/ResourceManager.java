package org.rfaas.resourcemanager;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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

    /** The state served; empty while this process is a standby ({@code leaderLeaseMillis} > 0). */
    private final AtomicReference<ClusterState> slot;
    private final Leadership leadership;
    private final ResourceManagerServer server;
    /** The binary lease endpoint, or null when not configured. */
    private final LeaseRpcServer leaseServer;
    private final Observability observability;
    private final ScheduledExecutorService sweeper;
    private final int port;
    private final ResourceManagerConfig config;
    private final EventBus events;

    private ResourceManager(ResourceManagerConfig config, AtomicReference<ClusterState> slot, Leadership leadership,
            ResourceManagerServer server, LeaseRpcServer leaseServer, int port, Observability observability,
            EventBus events) {
        this.config = config;
        this.leaseServer = leaseServer;
        this.slot = slot;
        this.leadership = leadership;
        this.observability = observability;
        this.events = events;
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

    /**
     * Opens the database, starts the HTTP API and the sweeper. With {@code leaderLeaseMillis} > 0
     * several resource managers share one database: this one serves once it holds the leadership
     * ({@link Leadership}) and answers 503 as a standby until then.
     */
    public static ResourceManager start(ResourceManagerConfig config) throws SQLException, java.io.IOException {
        if (config.databaseUrl().startsWith("jdbc:h2:file:")) {
            Files.createDirectories(Path.of(config.dataDir()).toAbsolutePath());
        }
        EventBus events = new EventBus();
        AtomicReference<ClusterState> slot = new AtomicReference<>();
        Observability observability = new Observability(view(slot), config.metricsOpen());
        Leadership leadership = null;
        LeaseRpcServer leaseServer = null;
        try {
            if (config.leaderLeaseMillis() == 0) {
                slot.set(serve(config, events, observability, null));
            }
            ResourceManagerServer server = new ResourceManagerServer(slot::get, config, observability, events);
            int port = server.start();
            if (config.leasePort() != null) {
                leaseServer = new LeaseRpcServer(slot::get, config.adminToken(), config.host(), config.leasePort());
            }
            if (config.leaderLeaseMillis() > 0) {
                leadership = new Leadership(config, fence -> {
                    try {
                        slot.set(serve(config, events, observability, fence));
                    } catch (SQLException e) {
                        throw new IllegalStateException("cannot load the state as the new leader: " + e.getMessage(), e);
                    }
                }, () -> closeQuietly(slot.getAndSet(null)));
                LOG.info("resource manager competing for leadership (lease {} ms)", config.leaderLeaseMillis());
            }
            LOG.info("resource manager listening on http://{}:{}/v1 (database {}, placement {}, heartbeat timeout {} ms)",
                    config.host(), port, redact(config.databaseUrl()), config.placementPolicy(), config.heartbeatTimeoutMillis());
            LOG.info("dashboard: http://{}:{}/dashboard#token=<admin token>; Prometheus metrics: GET /metrics{}", config.host(),
                    port, config.metricsOpen() ? " (open)" : " (admin token)");
            if (leaseServer != null) {
                LOG.info("lease endpoint: rfaas-lease://{}:{}", config.host(), leaseServer.port());
            }
            return new ResourceManager(config, slot, leadership, server, leaseServer, port, observability, events);
        } catch (RuntimeException | SQLException | java.io.IOException e) {
            if (leaseServer != null) {
                leaseServer.close();
            }
            observability.close();
            if (leadership != null) {
                leadership.close();
            }
            closeQuietly(slot.get());
            throw e;
        }
    }

    /** Loads the state from the database and makes it ready to serve. */
    private static ClusterState serve(ResourceManagerConfig config, EventBus events, Observability observability,
            DurableLog.Fence fence) throws SQLException {
        ClusterState state = ClusterState.open(config, events, fence);
        try {
            state.graceAfterRestart(System.currentTimeMillis());
            state.observe(observability.observer());
            return state;
        } catch (RuntimeException e) {
            state.close();
            throw e;
        }
    }

    private static void closeQuietly(ClusterState s) {
        if (s != null) {
            try {
                s.close();
            } catch (SQLException | RuntimeException e) {
                LOG.warn("closing the deposed state failed: {}", e.getMessage());
            }
        }
    }

    private static ClusterView view(AtomicReference<ClusterState> slot) {
        return new ClusterView() {
            @Override
            public List<NodeInfo> nodes() {
                ClusterState s = slot.get();
                return s == null ? List.of() : s.nodes();
            }

            @Override
            public List<LeaseInfo> activeLeases() {
                ClusterState s = slot.get();
                return s == null ? List.of() : s.leases(ClusterState.ACTIVE);
            }

            @Override
            public List<TenantBilling> tenantBilling() {
                ClusterState s = slot.get();
                return s == null ? List.of() : s.billing().tenants();
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
        return serving().lifecycle().requestLease(request, System.currentTimeMillis());
    }

    /** A batch of leases in this process, as {@code POST /v1/leases/batch}. */
    public LeaseBatchGrant requestLeases(LeaseBatchRequest request) {
        return serving().lifecycle().requestLeases(request, System.currentTimeMillis());
    }

    /** Releases leases in this process, as {@code POST /v1/leases/release} with the admin token. */
    public List<LeaseInfo> releaseLeases(List<Long> leaseIds) {
        return serving().lifecycle().releaseLeases(leaseIds, "released in process", System.currentTimeMillis());
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

    /**
     * The binary lease endpoint, {@code rfaas-lease://host:port} ({@link org.rfaas.rmclient.rpc.LeaseRpcClient#of}),
     * or null when {@code leasePort} is not configured.
     */
    public String leaseEndpoint() {
        return leaseServer == null ? null : "rfaas-lease://" + config.host() + ":" + leaseServer.port();
    }

    private ClusterState serving() {
        ClusterState s = slot.get();
        if (s == null) {
            throw new IllegalStateException("this resource manager is a standby");
        }
        return s;
    }

    /** Whether this process serves (always, unless it is a standby of several on one database). */
    public boolean leader() {
        return slot.get() != null;
    }

    private void sweep() {
        ClusterState s = slot.get();
        if (s == null) {
            return;
        }
        try {
            s.sweep(System.currentTimeMillis());
        } catch (RuntimeException e) {
            LOG.error("sweeper failed; retrying in {} ms", config.sweepIntervalMillis(), e);
        }
    }

    /**
     * Starts a resource manager, prints {@code rfaas resource-manager listening on <uri>} to
     * {@code out} (after {@code rfaas resource-manager lease endpoint <uri>} when it has one), and serves until the JVM is asked to exit (SIGTERM, Ctrl-C), then closes cleanly.
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
        if (rm.leaseEndpoint() != null) {
            out.println("rfaas resource-manager lease endpoint " + rm.leaseEndpoint());
        }
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
            if (leaseServer != null) {
                leaseServer.close();
            }
            server.close();
            if (leadership != null) {
                leadership.close();
            }
        } finally {
            ClusterState s = slot.getAndSet(null);
            if (s != null) {
                s.close();
            }
        }
        LOG.info("resource manager stopped");
    }
}
