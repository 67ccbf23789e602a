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
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.NodeRegistration;
import org.rfaas.rmclient.ResourceManagerClient;
import org.rfaas.rmclient.TenantRequest;
import org.rfaas.resourcemanager.ResourceManager;
import org.rfaas.resourcemanager.ResourceManagerConfig;

/**
 * Lease grant + release round trips against a resource manager started for the run (in this JVM,
 * over loopback HTTP, with its default durable H2 file database in a temporary directory). Each
 * client thread has its own HTTP client and loops {@code requestLease} then {@code releaseLease};
 * the cluster is large enough that no request is refused, so every round trip is a full placement
 * (check + reserve in one transaction) and a full release.
 */
public final class LeaseBenchmark {
    /** One measured concurrency level. */
    public record Row(int clients, long pairs, double pairsPerSecond, double pairMedianUs, double pairP99Us,
            double grantMedianUs, double releaseMedianUs) {
    }

    private final Duration warmup;
    private final Duration measure;

    /** Warm-up and measurement time per concurrency level. */
    public record Duration(long millis) {
    }

    private final String databaseUrl;

    /**
     * @param databaseUrl JDBC URL of the resource manager's database, or null for its default (a
     *     durable H2 file in a temporary directory)
     */
    public LeaseBenchmark(long warmupMillis, long measureMillis, String databaseUrl) {
        this.warmup = new Duration(warmupMillis);
        this.measure = new Duration(measureMillis);
        this.databaseUrl = databaseUrl;
    }

    /** Runs every concurrency level in {@code levels} against one fresh resource manager. */
    public List<Row> run(int[] levels) throws Exception {
        Path dir = Files.createTempDirectory("rfaas-bench-leases");
        String admin = "bench-admin-token-0123456789";
        String secret = "bench-cluster-secret-0123456789";
        List<Row> rows = new ArrayList<>();
        // nodes do not heartbeat during the run: a long timeout keeps them up
        ResourceManagerConfig config = new ResourceManagerConfig("127.0.0.1", 0, admin, secret, dir.toString(), databaseUrl,
                null, null, 3_600_000, "first-fit", 0, 0, 0, 0);
        try (ResourceManager rm = ResourceManager.start(config)) {
            ResourceManagerClient node = ResourceManagerClient.forNode(rm.uri(), secret);
            for (int i = 0; i < 4; i++) {
                node.registerNode(new NodeRegistration("bench-" + i, "127.0.0.1", 7000 + i, "tcp", 256, 1L << 20));
            }
            ResourceManagerClient operator = ResourceManagerClient.forAdmin(rm.uri(), admin);
            for (int clients : levels) {
                // one tenant per client, each with its API key, as real clients lease
                List<String> keys = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    keys.add(operator.createTenant(new TenantRequest("bench-" + clients + "-" + c, 0, 0)).apiKey());
                }
                rows.add(level(rm, keys));
            }
        } finally {
            deleteTree(dir);
        }
        return rows;
    }

    private Row level(ResourceManager rm, List<String> keys) throws Exception {
        int clients = keys.size();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        CyclicBarrier start = new CyclicBarrier(clients);
        try {
            List<Future<Histogram[]>> futures = new ArrayList<>();
            long[] elapsed = new long[clients];
            for (int c = 0; c < clients; c++) {
                int me = c;
                futures.add(pool.submit(() -> {
                    ResourceManagerClient client = ResourceManagerClient.forTenant(rm.uri(), keys.get(me));
                    String tenant = "bench-" + clients + "-" + me;
                    Histogram pair = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
                    Histogram grant = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
                    Histogram release = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
                    loop(client, tenant, warmup.millis(), null, null, null);
                    start.await(60, TimeUnit.SECONDS);
                    long t0 = System.nanoTime();
                    loop(client, tenant, measure.millis(), pair, grant, release);
                    elapsed[me] = System.nanoTime() - t0;
                    return new Histogram[] {pair, grant, release};
                }));
            }
            Histogram pair = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
            Histogram grant = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
            Histogram release = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
            for (Future<Histogram[]> f : futures) {
                Histogram[] h = f.get();
                pair.add(h[0]);
                grant.add(h[1]);
                release.add(h[2]);
            }
            long maxElapsed = 0;
            for (long e : elapsed) {
                maxElapsed = Math.max(maxElapsed, e);
            }
            long pairs = pair.getTotalCount();
            return new Row(clients, pairs, pairs / (maxElapsed / 1e9), pair.getValueAtPercentile(50) / 1e3,
                    pair.getValueAtPercentile(99) / 1e3, grant.getValueAtPercentile(50) / 1e3,
                    release.getValueAtPercentile(50) / 1e3);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Grant + release until {@code millis} have passed; records into the histograms when given. */
    private static void loop(ResourceManagerClient client, String tenant, long millis, Histogram pair, Histogram grant,
            Histogram release) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            LeaseGrant g = client.requestLease(1, 256, 60_000, tenant);
            long t1 = System.nanoTime();
            client.releaseLease(g);
            long t2 = System.nanoTime();
            if (pair != null) {
                pair.recordValue(t2 - t0);
                grant.recordValue(t1 - t0);
                release.recordValue(t2 - t1);
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
