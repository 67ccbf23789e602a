package org.rfaas.resourcemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
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
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile HTTP clients (silent connections, a request sent a byte at a time, garbage, oversized
 * bodies, and a flood past the per-address limit), all from 127.0.0.2, while a well-behaved
 * client on 127.0.0.1 measures its calls: its median stays within 50 ms of the unloaded one, the
 * flood's connections past {@link HttpLimits#MAX_CONNECTIONS_PER_SOURCE} are closed, and the
 * server keeps answering.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HttpHostilePeersTest {
    private static final InetAddress HOSTILE_SOURCE = address("127.0.0.2");
    @TempDir
    Path dir;
    private ResourceManager rm;
    private final List<Socket> hostile = new ArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        ResourceManagerConfig d = ResourceManagerConfig.defaults("hostile-test-admin-token-0123",
                "hostile-test-cluster-secret-0123", dir.resolve("data"));
        rm = ResourceManager.start(new ResourceManagerConfig("127.0.0.1", 0, d.adminToken(), d.clusterSecret(),
                d.dataDir(), null, null, null, 0, null, 0, 0, 0, 0));
    }

    @AfterEach
    void stop() throws Exception {
        for (Socket s : hostile) {
            s.close();
        }
        rm.close();
    }

    private static InetAddress address(String a) {
        try {
            return InetAddress.getByName(a);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Socket open() throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(HOSTILE_SOURCE, 0));
        s.connect(new InetSocketAddress("127.0.0.1", rm.port()), 5_000);
        hostile.add(s);
        return s;
    }

    /** Median of 30 well-behaved health calls, in ms. */
    private double medianCallMillis() throws Exception {
        long[] ns = new long[30];
        for (int i = 0; i < ns.length; i++) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(rm.uri().resolve("/v1/health"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            ns[i] = System.nanoTime() - t0;
            assertEquals(200, r.statusCode());
        }
        Arrays.sort(ns);
        return ns[ns.length / 2] / 1e6;
    }

    @Test
    void hostileClientsDoNotSlowAWellBehavedOne() throws Exception {
        medianCallMillis(); // warm up the server and the client
        double unloaded = medianCallMillis();
        for (int i = 0; i < 50; i++) {
            open(); // connect and say nothing
        }
        Socket slow = open();
        Thread slowloris = Thread.ofPlatform().daemon().start(() -> {
            try {
                OutputStream out = slow.getOutputStream();
                for (byte b : "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII)) {
                    out.write(b);
                    out.flush();
                    Thread.sleep(100);
                }
            } catch (IOException | InterruptedException e) {
                // closed by the server or the test
            }
        });
        byte[] garbage = new byte[8192];
        new Random(18).nextBytes(garbage);
        for (int i = 0; i < 5; i++) {
            open().getOutputStream().write(garbage);
        }
        double loaded = medianCallMillis();
        System.out.println(String.format("health call median: alone %.2f ms, among hostile clients %.2f ms", unloaded, loaded));
        assertTrue(loaded <= unloaded + 50, "well-behaved calls took " + loaded + " ms (median) among hostile "
                + "clients, " + unloaded + " ms alone");
        slowloris.interrupt();
    }

    @Test
    void aFloodFromOneAddressIsCutAtThePerSourceLimit() throws Exception {
        double unloaded = medianCallMillis();
        int flood = HttpLimits.MAX_CONNECTIONS_PER_SOURCE + 20;
        for (int i = 0; i < flood; i++) {
            open();
        }
        // the connections past the limit (whichever the server took in last) are closed: reading them ends
        Thread.sleep(500);
        int closed = 0;
        for (Socket s : hostile) {
            s.setSoTimeout(1);
            try {
                if (s.getInputStream().read() < 0) {
                    closed++;
                }
            } catch (java.net.SocketTimeoutException open) {
                // still open: within the limit
            }
        }
        assertEquals(20, closed, "connections past the per-address limit are closed");
        double loaded = medianCallMillis();
        System.out.println(String.format("health call median: alone %.2f ms, beside a flood of %d %.2f ms", unloaded, flood, loaded));
        assertTrue(loaded <= unloaded + 50, "well-behaved calls took " + loaded + " ms (median) beside a flood of "
                + flood + " connections from another address, " + unloaded + " ms alone");
    }

    @Test
    void garbageAndOversizedBodiesAreRefusedNotFatal() throws Exception {
        Socket s = open();
        s.setSoTimeout(5_000);
        byte[] garbage = new byte[4096];
        new Random(7).nextBytes(garbage);
        s.getOutputStream().write(garbage);
        String answer = readAll(s.getInputStream());
        assertTrue(answer.startsWith("HTTP/1.1 400"), "garbage is answered with 400: " + answer.lines().findFirst());

        byte[] big = new byte[(int) HttpLimits.MAX_REQUEST_BYTES + 1];
        Arrays.fill(big, (byte) ' ');
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(rm.uri().resolve("/v1/leases"))
                .header("Authorization", "Bearer nobody").POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(413, r.statusCode(), r.body());
        assertEquals(200, client.send(HttpRequest.newBuilder(rm.uri().resolve("/v1/health")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    private static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
}
