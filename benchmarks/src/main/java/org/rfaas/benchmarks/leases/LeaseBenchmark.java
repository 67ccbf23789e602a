package org.rfaas.benchmarks.leases;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.rfaas.rmclient.LeaseBatchGrant;
import org.rfaas.rmclient.LeaseBatchRelease;
import org.rfaas.rmclient.LeaseBatchRequest;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.LeaseRequest;
import org.rfaas.rmclient.NodeRegistration;
import org.rfaas.rmclient.ResourceManagerClient;
import org.rfaas.rmclient.TenantRequest;
import org.rfaas.rmclient.rpc.LeaseRpcClient;
import org.rfaas.resourcemanager.ResourceManager;
import org.rfaas.resourcemanager.ResourceManagerConfig;

/**
 * Lease grant + release cycles against a resource manager started for the run (in this JVM, with
 * its default durable H2 file database in a temporary directory, or the database given), with
 * {@code nodes} simulated nodes registered through the HTTP API (no processes behind them).
 *
 * <p>Three paths: {@code http} (each client thread has its own {@link ResourceManagerClient} over
 * loopback), {@code rpc} (each its own {@link LeaseRpcClient} on the binary lease endpoint; single
 * leases only) and {@code in-process} (the same state, placement and group commit through
 * {@link ResourceManager#requestLease}, no network), so the state's cost and the transport's can be
 * told apart. Two kinds: {@code single} (one lease, then its release) and {@code batch} ({@code batch}
 * leases of one core, at most one per node, all-or-nothing, spread, then one batch release).
 */
public final class LeaseBenchmark {
    /** One measured level. Times in microseconds; {@code cyclesPerSecond} counts grant+release cycles (a batch is one). */
    public record Row(String path, String kind, int clients, int batch, long cycles, double cyclesPerSecond,
            double leasesPerSecond, double cycleMedianUs, double cycleP99Us, double grantMedianUs, double grantP99Us,
            double releaseMedianUs, String database, int nodes) {
    }

    /** What to run. */
    public record Settings(long warmupMillis, long measureMillis, String databaseUrl, int nodes, int[] clients,
            int batch, int[] batchClients, List<String> paths) {
    }

    private static final String ADMIN = "bench-admin-token-0123456789";
    private static final String SECRET = "bench-cluster-secret-0123456789";

    private final Settings settings;

    public LeaseBenchmark(Settings settings) {
        this.settings = settings;
    }

    /** Runs every level against one fresh resource manager. */
    public List<Row> run() throws Exception {
        Path dir = Files.createTempDirectory("rfaas-bench-leases");
        List<Row> rows = new ArrayList<>();
        // nodes do not heartbeat during the run: a long timeout keeps them up
        ResourceManagerConfig config = new ResourceManagerConfig("127.0.0.1", 0, ADMIN, SECRET, dir.toString(),
                settings.databaseUrl(), null, null, 3_600_000, "first-fit", 0, 0, 0, 0).withLeasePort(0);
        try (ResourceManager rm = ResourceManager.start(config)) {
            register(rm);
            for (String path : settings.paths()) {
                for (int clients : settings.clients()) {
                    rows.add(level(rm, path, "single", clients, 1));
                }
                if (settings.batch() > 0 && !"rpc".equals(path)) { // the lease endpoint grants one lease a request
                    for (int clients : settings.batchClients()) {
                        rows.add(level(rm, path, "batch", clients, settings.batch()));
                    }
                }
            }
        } finally {
            deleteTree(dir);
        }
        return rows;
    }

    /** Registers the simulated nodes through the admin API, 16 at a time (their commits are grouped). */
    private void register(ResourceManager rm) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int first = t;
                done.add(pool.submit(() -> {
                    ResourceManagerClient admin = ResourceManagerClient.forAdmin(rm.uri(), ADMIN);
                    for (int i = first; i < settings.nodes(); i += 16) {
                        admin.addNode(new NodeRegistration(String.format("sim%05d", i), "10.1." + (i / 250) + "." + (i % 250),
                                7000, "tcp", 64, 256 * 1024));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** The lease operations of one client thread. */
    private interface Client {
        /** Grants; answers what {@link #release} needs. */
        Object grant();

        void release(Object granted);
    }

    private final java.util.Map<String, String> tenantKeys = new java.util.concurrent.ConcurrentHashMap<>();

    /** The API key of {@code tenant}, which is made (as an operator would) at its first use. */
    private String tenantKey(ResourceManager rm, String tenant) {
        return tenantKeys.computeIfAbsent(tenant, t -> ResourceManagerClient.forAdmin(rm.uri(), ADMIN)
                .createTenant(new TenantRequest(t, 0, 0)).apiKey());
    }

    private Client client(ResourceManager rm, String path, String kind, int batch, String tenant) {
        if ("rpc".equals(path)) {
            LeaseRpcClient c = LeaseRpcClient.of(rm.leaseEndpoint(), tenantKey(rm, tenant), tenant);
            return new Client() {
                @Override
                public Object grant() {
                    return c.requestLease(new LeaseRequest(1, 256, 60_000, tenant));
                }

                @Override
                public void release(Object g) {
                    c.releaseLease((LeaseGrant) g);
                }
            };
        }
        boolean http = "http".equals(path);
        // over HTTP each client is a tenant with its own API key, as real clients lease
        ResourceManagerClient c = http ? ResourceManagerClient.forTenant(rm.uri(), tenantKey(rm, tenant)) : null;
        if ("single".equals(kind)) {
            return new Client() {
                @Override
                public Object grant() {
                    return http ? c.requestLease(1, 256, 60_000, tenant) : rm.requestLease(new LeaseRequest(1, 256, 60_000, tenant));
                }

                @Override
                public void release(Object g) {
                    if (http) {
                        c.releaseLease((LeaseGrant) g);
                    } else {
                        rm.releaseLeases(List.of(((LeaseGrant) g).leaseId()));
                    }
                }
            };
        }
        LeaseBatchRequest req = new LeaseBatchRequest(batch, 1, 256, 60_000, tenant, 1, LeaseBatchRequest.ALL_OR_NOTHING, "spread");
        return new Client() {
            @Override
            public Object grant() {
                return http ? c.requestLeases(req) : rm.requestLeases(req);
            }

            @Override
            public void release(Object g) {
                List<LeaseGrant> leases = ((LeaseBatchGrant) g).leases();
                if (http) {
                    c.releaseLeases(LeaseBatchRelease.of(leases));
                } else {
                    rm.releaseLeases(leases.stream().map(LeaseGrant::leaseId).toList());
                }
            }
        };
    }

    private Row level(ResourceManager rm, String path, String kind, int clients, int batch) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        CyclicBarrier start = new CyclicBarrier(clients);
        try {
            List<Future<Histogram[]>> futures = new ArrayList<>();
            long[] elapsed = new long[clients];
            for (int c = 0; c < clients; c++) {
                int me = c;
                futures.add(pool.submit(() -> {
                    Client client = client(rm, path, kind, batch, "bench-" + me);
                    Histogram[] h = {histogram(), histogram(), histogram()};
                    loop(client, settings.warmupMillis(), null);
                    start.await(120, TimeUnit.SECONDS);
                    long t0 = System.nanoTime();
                    loop(client, settings.measureMillis(), h);
                    elapsed[me] = System.nanoTime() - t0;
                    return h;
                }));
            }
            Histogram cycle = histogram();
            Histogram grant = histogram();
            Histogram release = histogram();
            for (Future<Histogram[]> f : futures) {
                Histogram[] h = f.get();
                cycle.add(h[0]);
                grant.add(h[1]);
                release.add(h[2]);
            }
            long maxElapsed = 1;
            for (long e : elapsed) {
                maxElapsed = Math.max(maxElapsed, e);
            }
            long cycles = cycle.getTotalCount();
            double perSecond = cycles / (maxElapsed / 1e9);
            return new Row(path, kind, clients, batch, cycles, perSecond, perSecond * batch,
                    cycle.getValueAtPercentile(50) / 1e3, cycle.getValueAtPercentile(99) / 1e3,
                    grant.getValueAtPercentile(50) / 1e3, grant.getValueAtPercentile(99) / 1e3,
                    release.getValueAtPercentile(50) / 1e3,
                    settings.databaseUrl() == null ? "h2-file-durable" : settings.databaseUrl(), settings.nodes());
        } finally {
            pool.shutdownNow();
        }
    }

    private static Histogram histogram() {
        return new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    }

    /** Grant + release until {@code millis} have passed; records into {@code h} (cycle, grant, release) when given. */
    private static void loop(Client client, long millis, Histogram[] h) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            Object g = client.grant();
            long t1 = System.nanoTime();
            client.release(g);
            long t2 = System.nanoTime();
            if (h != null) {
                h[0].recordValue(t2 - t0);
                h[1].recordValue(t1 - t0);
                h[2].recordValue(t2 - t1);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
