package org.rfaas.rmclient;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscription to the resource manager's event stream ({@code GET /v1/events}, Server-Sent
 * Events): a daemon thread reads it, hands every {@link ClusterEvent} to the consumer, and
 * reconnects with backoff (100 ms doubling to 5 s) when the stream is lost, refused or silent for
 * longer than three heartbeat intervals. After every (re)connection {@code onConnected} runs, so
 * the owner can re-check what it may have missed while disconnected (events are not replayed).
 *
 * <p>A base URI naming several resource managers ({@code http://rm1:8090,rm2:8090}, as for
 * {@link ResourceManagerClient}) fails over: a lost, refused (e.g. 503 from a standby) or
 * unreachable stream is retried at the next one at once, and only after a full round of failures
 * does the reader back off.
 */
public final class ClusterEventStream implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterEventStream.class);
    private static final long MIN_BACKOFF_MILLIS = 100;
    private static final long MAX_BACKOFF_MILLIS = 5_000;
    /** Longest wait between rounds over several resource managers (a standby takes over within ~1.5 s). */
    private static final long MAX_FAILOVER_BACKOFF_MILLIS = 100;
    /** The server writes a heartbeat comment every 5 s; three missed ones mean the stream is dead. */
    private static final long SILENCE_MILLIS = 15_000;
    /** Longest accepted line: far above any event, it bounds what a broken server can make us buffer. */
    private static final int MAX_LINE = 64 * 1024;

    /** The {@code /v1/events} URI of each resource manager named by the base URI. */
    private final java.util.List<URI> uris;
    /** Index in {@link #uris} of the one tried next. */
    private volatile int at;
    private final String token;
    private final Consumer<ClusterEvent> consumer;
    private final Runnable onConnected;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final Thread reader;
    private volatile boolean closed;
    private volatile InputStream current;
    private volatile long lastActivity;
    private volatile boolean connected;

    /**
     * Starts the subscription.
     *
     * @param baseUri the resource manager, e.g. {@code http://127.0.0.1:8090}
     * @param token a lease token (its tenant's lease events, node and capacity events) or the admin token
     * @param consumer called on the reader thread for each event, in order
     * @param onConnected called on the reader thread after each successful (re)connection
     */
    public ClusterEventStream(URI baseUri, String token, Consumer<ClusterEvent> consumer, Runnable onConnected) {
        String s = Objects.requireNonNull(baseUri, "baseUri").toString();
        s = s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
        this.uris = ResourceManagerClient.split(s).stream().map(b -> URI.create(b + "/v1/events")).toList();
        this.token = Objects.requireNonNull(token, "token");
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.onConnected = onConnected == null ? () -> { } : onConnected;
        this.reader = Thread.ofPlatform().daemon().name("rfaas-rm-events").start(this::run);
        Thread.ofVirtual().name("rfaas-rm-events-watchdog").start(this::watch);
    }

    private void watch() {
        while (!closed) {
            try {
                Thread.sleep(1_000);
            } catch (InterruptedException e) {
                return;
            }
            checkSilence();
        }
    }

    /** True while a stream is open (for tests and status output). */
    public boolean connected() {
        return connected;
    }

    private void run() {
        long backoff = MIN_BACKOFF_MILLIS;
        int failedInRound = 0;
        while (!closed) {
            URI uri = uris.get(at);
            boolean established = false;
            try {
                established = readOnce(uri);
            } catch (IOException | RuntimeException e) {
                if (!closed) {
                    LOG.debug("event stream {}: {}", uri, e.toString());
                }
            } catch (InterruptedException e) {
                return;
            } finally {
                connected = false;
            }
            if (closed) {
                return;
            }
            if (established) {
                backoff = MIN_BACKOFF_MILLIS;
                failedInRound = 0;
            } else {
                failedInRound++;
            }
            if (uris.size() > 1) {
                at = (at + 1) % uris.size();
                if (!established && failedInRound < uris.size()) {
                    continue; // refused or unreachable: try the next resource manager at once
                }
                failedInRound = 0;
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            // with standbys named, one of them takes over within its leadership lease: keep looking often
            backoff = Math.min(uris.size() > 1 ? MAX_FAILOVER_BACKOFF_MILLIS : MAX_BACKOFF_MILLIS, backoff * 2);
        }
    }

    /** Reads one connection until it ends; true when it was established. */
    private boolean readOnce(URI uri) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(uri).GET().header("Accept", "text/event-stream")
                .header("Authorization", "Bearer " + token).build();
        HttpResponse<InputStream> resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = resp.body()) {
            if (resp.statusCode() == 503) {
                LOG.debug("event stream {}: a standby (503)", uri);
                return false;
            }
            if (resp.statusCode() != 200) {
                LOG.warn("event stream {} refused: HTTP {} {}", uri, resp.statusCode(),
                        new String(in.readNBytes(512), StandardCharsets.UTF_8));
                return false;
            }
            current = in;
            lastActivity = System.nanoTime();
            connected = true;
            if (closed) {
                return true;
            }
            onConnected.run();
            BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            StringBuilder data = new StringBuilder();
            String line;
            while (!closed && (line = lines.readLine()) != null) {
                lastActivity = System.nanoTime();
                if (line.length() > MAX_LINE || data.length() > MAX_LINE) {
                    throw new IOException("event stream line longer than " + MAX_LINE + " characters");
                }
                if (line.isEmpty()) {
                    if (!data.isEmpty()) {
                        deliver(data.toString());
                        data.setLength(0);
                    }
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(line.length() > 5 && line.charAt(5) == ' ' ? 6 : 5));
                }
                // "event:", "id:" and ":" comments (heartbeats) carry nothing the JSON does not
            }
            return true;
        } finally {
            current = null;
        }
    }

    private void deliver(String json) {
        ClusterEvent e;
        try {
            e = ResourceManagerClient.JSON.readValue(json, ClusterEvent.class);
        } catch (IOException | RuntimeException ex) {
            LOG.warn("event stream {}: ignoring a malformed event: {}", uris.get(at), ex.getMessage());
            return;
        }
        try {
            consumer.accept(e);
        } catch (RuntimeException ex) {
            LOG.warn("event listener failed on {}: {}", e, ex.toString());
        }
    }

    /** Closes the current stream when it has been silent too long, so that the reader reconnects. */
    private void checkSilence() {
        InputStream in = current;
        if (in != null && System.nanoTime() - lastActivity > SILENCE_MILLIS * 1_000_000L) {
            LOG.info("event stream {} silent for {} ms; reconnecting", uris.get(at), SILENCE_MILLIS);
            closeQuietly(in);
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // already broken
        }
    }

    /** Stops the subscription. */
    @Override
    public void close() {
        closed = true;
        InputStream in = current;
        if (in != null) {
            closeQuietly(in);
        }
        reader.interrupt();
    }
}
