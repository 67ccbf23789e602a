package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executor manager's metrics listener against hostile peers: idle connections, slow senders
 * that never finish their request, garbage, and a flood of connections must not stop a scraper
 * from being answered promptly; and a bad {@code metrics} setting is refused.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
final class MetricsListenerTest {
    private static final int HOSTILE = 60;

    @TempDir
    Path dir;

    @Test
    void aScraperIsAnsweredWhileHostilePeersHoldConnections() throws Exception {
        ExecutorManagerConfig config = ExecutorManagerConfig.of("m", List.of("tcp://127.0.0.1:0"), 1, 256, dir)
                .withSpareExecutors(0).withSpareMemoryMiB(0).withMetrics("127.0.0.1:0");
        try (ExecutorManager manager = new ExecutorManager(config, null);
             HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            manager.start();
            URI uri = URI.create(manager.metricsUrl());
            long unloaded = scrape(http, uri);
            for (int i = 0; i < 20; i++) {
                unloaded = Math.min(unloaded, scrape(http, uri));
            }
            List<Socket> hostile = new ArrayList<>();
            try {
                for (int i = 0; i < HOSTILE; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
                    OutputStream out = s.getOutputStream();
                    switch (i % 3) {
                        case 0 -> { } // connects, sends nothing
                        case 1 -> out.write("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
                        default -> {
                            byte[] garbage = new byte[4096];
                            Arrays.fill(garbage, (byte) (0x80 + i));
                            out.write(garbage);
                        }
                    }
                    out.flush();
                    hostile.add(s);
                }
                long loaded = Long.MAX_VALUE;
                for (int i = 0; i < 20; i++) {
                    loaded = Math.min(loaded, scrape(http, uri));
                }
                long worst = 0;
                for (int i = 0; i < 20; i++) {
                    worst = Math.max(worst, scrape(http, uri));
                }
                System.out.printf("metrics scrape: unloaded best %.2f ms; with %d hostile peers best %.2f ms, worst %.2f ms%n",
                        unloaded / 1e6, HOSTILE, loaded / 1e6, worst / 1e6);
                assertTrue(worst - unloaded < TimeUnit.MILLISECONDS.toNanos(250),
                        "hostile peers delayed a scrape by " + (worst - unloaded) / 1e6 + " ms");
            } finally {
                for (Socket s : hostile) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aBadMetricsAddressIsRefused() {
        ExecutorManagerConfig base = ExecutorManagerConfig.of("m", List.of("tcp://127.0.0.1:0"), 1, 256, dir);
        for (String bad : List.of("9464", "host:", "host:port", "host:70000", "host:-1", ":9464")) {
            assertThrows(IllegalArgumentException.class, () -> base.withMetrics(bad), bad);
        }
        assertEquals(9464, base.withMetrics("0.0.0.0:9464").metricsPort());
        assertEquals("::1", base.withMetrics("::1:0").metricsHost());
    }

    /** One scrape; returns its time. */
    private static long scrape(HttpClient http, URI uri) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        long t = System.nanoTime() - t0;
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("rfaas_em_leases_active 0"), r.body());
        return t;
    }
}
