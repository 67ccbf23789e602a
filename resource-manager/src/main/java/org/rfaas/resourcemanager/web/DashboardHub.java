package org.rfaas.resourcemanager.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.ServiceUnavailableResponse;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.rfaas.rmclient.LeaseBilling;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.resourcemanager.ClusterView;
import org.rfaas.resourcemanager.StateObserver;
import org.rfaas.resourcemanager.metrics.BillingTotals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes the dashboard's view of the cluster to connected pages over Server-Sent Events. A
 * producer thread builds one JSON snapshot every {@value #TICK_MILLIS} ms when something changed
 * (it is told as a {@link StateObserver}), and at least every {@value #IDLE_PUSH_MILLIS} ms so the
 * rate chart moves; nothing is built while no page is connected. Each page has its own virtual
 * thread that sends the newest snapshot it has not seen, so a slow page delays only itself and
 * skips intermediate snapshots instead of queueing them.
 */
final class DashboardHub implements StateObserver, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DashboardHub.class);
    static final long TICK_MILLIS = 500;
    static final long IDLE_PUSH_MILLIS = 1000;
    /** Most leases listed in one snapshot; the page says how many more there are. */
    static final int MAX_LEASES = 500;
    /** Most pages connected at once: each costs a connection and a thread. */
    static final int MAX_CLIENTS = 32;
    private static final long KEEP_ALIVE_MILLIS = 15_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Snapshot(long version, String json) {
    }

    private final ClusterView view;
    private final BillingTotals billing;
    private final EventLog events;
    private final RateHistory rates;
    private final NodeRates nodeRates;
    private final AtomicBoolean dirty = new AtomicBoolean(true);
    private final AtomicInteger clients = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition published = lock.newCondition();
    private final ScheduledExecutorService producer;
    private volatile Snapshot latest;
    private volatile boolean running = true;
    private long lastBuiltMillis;

    DashboardHub(ClusterView view, BillingTotals billing, EventLog events, RateHistory rates, NodeRates nodeRates) {
        this.view = view;
        this.billing = billing;
        this.events = events;
        this.rates = rates;
        this.nodeRates = nodeRates;
        this.producer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("rm-dashboard").factory());
        producer.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Serves one page's event stream (the caller has checked the admin token). */
    void serve(Context ctx) throws Exception {
        // Javalin opens the stream only for exactly this Accept header and otherwise answers an
        // empty 200 without calling us back: refuse plainly instead.
        if (!"text/event-stream".equals(ctx.header("Accept"))) {
            throw new HttpResponseException(406, "the dashboard stream is Server-Sent Events: send 'Accept: text/event-stream'");
        }
        if (clients.incrementAndGet() > MAX_CLIENTS) {
            clients.decrementAndGet();
            throw new ServiceUnavailableResponse("too many dashboards connected (at most " + MAX_CLIENTS + ")");
        }
        try {
            new SseHandler(0, client -> {
                Thread.ofVirtual().name("rm-dashboard-page").start(() -> pump(client));
                client.keepAlive(); // the stream outlives this handler; pump() closes it
            }).handle(ctx);
        } catch (Exception | Error e) {
            clients.decrementAndGet();
            throw e;
        }
    }

    private void pump(SseClient client) {
        long seen = -1;
        try {
            dirty.set(true); // a new page gets a fresh snapshot at the next tick at the latest
            while (running && !client.terminated()) {
                Snapshot s = awaitNewer(seen);
                if (s == null) {
                    client.sendComment("keep-alive");
                } else {
                    client.sendEvent("snapshot", s.json());
                    seen = s.version();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.debug("dashboard stream ended: {}", e.toString());
        } finally {
            clients.decrementAndGet();
            client.close();
        }
    }

    private Snapshot awaitNewer(long seen) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(KEEP_ALIVE_MILLIS);
        lock.lock();
        try {
            while (running) {
                Snapshot s = latest;
                if (s != null && s.version() > seen) {
                    return s;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                published.awaitNanos(left);
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    private void tick() {
        try {
            long now = System.currentTimeMillis();
            if (clients.get() == 0 || (!dirty.get() && now - lastBuiltMillis < IDLE_PUSH_MILLIS)) {
                return;
            }
            dirty.set(false);
            lastBuiltMillis = now;
            String json = JSON.writeValueAsString(snapshot(now));
            lock.lock();
            try {
                Snapshot old = latest;
                latest = new Snapshot(old == null ? 1 : old.version() + 1, json);
                published.signalAll();
            } finally {
                lock.unlock();
            }
        } catch (JsonProcessingException | RuntimeException e) {
            LOG.warn("dashboard snapshot failed; retrying at the next tick", e);
            dirty.set(true);
        }
    }

    private Map<String, Object> snapshot(long now) {
        List<LeaseInfo> leases = view.activeLeases();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("atEpochMillis", now);
        m.put("nodes", view.nodes());
        m.put("leases", leases.size() > MAX_LEASES ? leases.subList(0, MAX_LEASES) : leases);
        m.put("activeLeases", leases.size());
        m.put("billing", billing.snapshot());
        m.put("events", events.newestFirst());
        Map<String, Object> r = new LinkedHashMap<>();
        long endSecond = now / 1000;
        r.put("endEpochSecond", endSecond);
        r.put("series", rates.series(endSecond));
        m.put("rates", r);
        m.put("nodeRates", nodeRates.snapshot(now));
        return m;
    }

    private void changed() {
        dirty.set(true);
    }

    @Override
    public void nodeEvent(String node, String event) {
        changed();
    }

    /** A heartbeat brought new per-node rates. */
    void nodeActivity() {
        changed();
    }

    @Override
    public void leaseGranted(LeaseGrant grant, long latencyNanos) {
        changed();
    }

    @Override
    public void leaseRefused(String reason) {
        changed();
    }

    @Override
    public void leasesEnded(String endState, String node, int count, String reason) {
        changed();
    }

    @Override
    public void leaseBilled(LeaseBilling billing) {
        changed();
    }

    /** Number of pages connected now. */
    int clients() {
        return clients.get();
    }

    @Override
    public void close() {
        running = false;
        producer.shutdownNow();
        lock.lock();
        try {
            published.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
