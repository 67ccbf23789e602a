package org.rfaas.resourcemanager.web;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.http.NotFoundResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.rfaas.resourcemanager.ClusterView;
import org.rfaas.resourcemanager.StateObserver;
import org.rfaas.resourcemanager.metrics.BillingTotals;
import org.rfaas.resourcemanager.metrics.RmMetrics;
import org.rfaas.rmclient.NodeActivity;

/**
 * The resource manager's operator views on its own HTTP port: Prometheus metrics
 * ({@code GET /metrics}) and the live dashboard ({@code GET /dashboard}, its static files, and
 * its event stream {@code GET /dashboard/stream}). The page and its scripts hold no data and are
 * served to anyone; the stream requires the admin token, as does {@code /metrics} unless the
 * config opens it.
 */
public final class Observability implements AutoCloseable {
    private static final String RESOURCES = "/org/rfaas/resourcemanager/web/";
    /** Files the page may load, by name: classpath resource and content type. Nothing else is served. */
    private static final Map<String, String[]> STATIC = Map.of(
            "dashboard.js", new String[] {RESOURCES + "dashboard.js", "text/javascript; charset=utf-8"},
            "dashboard.css", new String[] {RESOURCES + "dashboard.css", "text/css; charset=utf-8"},
            "chart.umd.js", new String[] {"/META-INF/resources/webjars/chart.js/" + chartJsVersion() + "/dist/chart.umd.js",
                "text/javascript; charset=utf-8"});
    /** The page loads only its own files and talks only to its own origin. */
    private static final String CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none';"
            + " frame-ancestors 'none'";

    private final RmMetrics metrics;
    private final DashboardHub hub;
    private final NodeRates nodeRates;
    private final StateObserver observer;
    private final boolean metricsOpen;

    /** Builds the metrics and the dashboard over {@code view}; {@link #observer()} must be given to the state. */
    public Observability(ClusterView view, boolean metricsOpen) {
        BillingTotals billing = new BillingTotals(view.tenantBilling());
        EventLog events = new EventLog();
        RateHistory rates = new RateHistory();
        this.nodeRates = new NodeRates();
        this.metrics = new RmMetrics(view, billing);
        this.hub = new DashboardHub(view, billing, events, rates, nodeRates);
        this.observer = StateObserver.all(List.of(billing, metrics, events, rates, nodeRates, hub));
        this.metricsOpen = metricsOpen;
    }

    /** What the cluster state must tell of every change. */
    public StateObserver observer() {
        return observer;
    }

    /** Registers the routes; {@code admin} throws unless the request carries the admin token. */
    public void routes(Javalin app, Consumer<Context> admin) {
        app.get("/metrics", ctx -> {
            if (!metricsOpen) {
                admin.accept(ctx);
            }
            ctx.status(200).contentType(RmMetrics.CONTENT_TYPE).result(metrics.scrape());
        });
        app.get("/", ctx -> ctx.redirect("/dashboard", HttpStatus.FOUND));
        app.get("/dashboard", ctx -> page(ctx, RESOURCES + "dashboard.html", "text/html; charset=utf-8"));
        app.get("/dashboard/static/{file}", ctx -> {
            String[] file = STATIC.get(ctx.pathParam("file"));
            if (file == null) {
                throw new NotFoundResponse("no such dashboard file: " + ctx.pathParam("file"));
            }
            page(ctx, file[0], file[1]);
        });
        app.get("/dashboard/stream", ctx -> {
            admin.accept(ctx);
            hub.serve(ctx);
        });
    }

    /**
     * A heartbeat of {@code node} reported what the node served so far: the dashboard's
     * per-node invocation and cold-start rates move.
     */
    public void nodeActivity(String node, NodeActivity activity, long atEpochMillis) {
        nodeRates.record(node, activity, atEpochMillis);
        hub.nodeActivity();
    }

    /** Counts an answered request under its route pattern (for {@code rfaas_rm_http_requests_total}). */
    public void httpRequest(Context ctx, Float millis) {
        String route;
        try {
            route = ctx.endpointHandlerPath();
        } catch (RuntimeException e) {
            route = "";
        }
        if (route == null || route.isEmpty() || route.equals("*")) {
            route = "unmatched"; // never the raw path: garbage paths must not create series
        }
        metrics.httpRequest(ctx.method().name(), route, ctx.statusCode());
    }

    private static void page(Context ctx, String resource, String contentType) throws IOException {
        try (InputStream in = Observability.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("resource missing from the jar: " + resource);
            }
            ctx.status(200).contentType(contentType).header("Cache-Control", "no-cache")
                    .header("Content-Security-Policy", CSP).header("X-Content-Type-Options", "nosniff")
                    .header("Referrer-Policy", "no-referrer").result(in.readAllBytes());
        }
    }

    private static String chartJsVersion() {
        Properties p = new Properties();
        try (InputStream in = Observability.class.getResourceAsStream(RESOURCES + "versions.properties")) {
            if (in == null) {
                throw new IllegalStateException("versions.properties missing from the jar");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("chartjs.version");
    }

    @Override
    public void close() {
        hub.close();
    }
}
