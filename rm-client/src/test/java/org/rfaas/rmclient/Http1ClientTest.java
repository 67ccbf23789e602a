package org.rfaas.rmclient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The keep-alive HTTP/1.1 client against a scripted server: framing, reuse, validation. */
class Http1ClientTest {
    private ServerSocket server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    /** Close each connection after its first answer (so a cut-short answer ends at once). */
    private volatile boolean closeAfterAnswer;

    /** Serves each request on each connection with {@code answer(requestHead)}; a null answer closes the connection. */
    private URI serve(Function<String, String> answer) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    return;
                }
                connections.incrementAndGet();
                Thread.ofVirtual().start(() -> {
                    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        while (true) {
                            String head = readHead(in);
                            if (head == null) {
                                return;
                            }
                            int at = head.toLowerCase().indexOf("content-length: ");
                            int length = at < 0 ? 0 : Integer.parseInt(head.substring(at + 16, head.indexOf('\r', at)));
                            String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
                            requests.add(head + body);
                            String a = answer.apply(head);
                            if (a == null) {
                                return;
                            }
                            out.write(a.getBytes(StandardCharsets.UTF_8));
                            out.flush();
                            if (closeAfterAnswer) {
                                return;
                            }
                        }
                    } catch (IOException e) {
                        // the client went away
                    }
                });
            }
        });
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/rm");
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            b.write(c);
            String s = b.toString(StandardCharsets.ISO_8859_1);
            if (s.endsWith("\r\n\r\n")) {
                return s;
            }
        }
        return null;
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    private static String ok(String body) {
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    @Test
    void reusesOneConnectionAndSendsWellFormedRequests() throws Exception {
        URI base = serve(h -> ok("{\"n\":" + requests.size() + "}"));
        Http1Client c = new Http1Client(base, Duration.ofSeconds(5));
        for (int i = 1; i <= 3; i++) {
            Http1Client.Response r = c.exchange("POST", "/v1/leases", "Bearer k", "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
            assertEquals(200, r.status());
            assertEquals("{\"n\":" + i + "}", r.body());
        }
        assertEquals(1, connections.get(), "keep-alive: one connection for three requests");
        c.close();
        assertEquals(200, c.exchange("GET", "/v1/health", null, null).status());
        assertEquals(200, c.exchange("GET", "/v1/health", null, null).status());
        assertEquals(3, connections.get(), "after close a request's connection is not kept");
        String first = requests.getFirst();
        assertTrue(first.startsWith("POST /rm/v1/leases HTTP/1.1\r\n"), first);
        assertTrue(first.contains("\r\nHost: 127.0.0.1:" + server.getLocalPort() + "\r\n"), first);
        assertTrue(first.contains("\r\nAuthorization: Bearer k\r\n"), first);
        assertTrue(first.endsWith("Content-Length: 7\r\n\r\n{\"a\":1}"), first);
    }

    @Test
    void readsChunkedBodiesAndHonoursConnectionClose() throws Exception {
        URI base = serve(h -> h.startsWith("GET /rm/chunked")
                ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n"
                : "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}");
        Http1Client c = new Http1Client(base, Duration.ofSeconds(5));
        assertEquals("hello world", c.exchange("GET", "/chunked", null, null).body());
        assertEquals("hello world", c.exchange("GET", "/chunked", null, null).body());
        assertEquals(1, connections.get());
        assertEquals(404, c.exchange("GET", "/x", null, null).status());
        assertEquals("hello world", c.exchange("GET", "/chunked", null, null).body());
        assertEquals(2, connections.get(), "a connection the server closes is not reused");
    }

    @Test
    void aConnectionClosedWhileIdleIsReplacedOnce() throws Exception {
        AtomicInteger served = new AtomicInteger();
        // the first connection answers once, then the server drops it without answering the next request
        URI base = serve(h -> served.incrementAndGet() == 2 ? null : ok("{}"));
        Http1Client c = new Http1Client(base, Duration.ofSeconds(5));
        assertEquals(200, c.exchange("GET", "/a", null, null).status());
        assertEquals(200, c.exchange("GET", "/b", null, null).status());
        assertEquals(2, connections.get());
        assertEquals(3, requests.size(), "the request lost with the stale connection was sent again once");
    }

    @Test
    void refusesMalformedAnswers() throws Exception {
        String[] answers = {
            "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
            "SSH-2.0-OpenSSH\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            "HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "HTTP/1.1 200 OK\r\nBadHeader\r\n\r\n",
            "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
            "HTTP/1.1 200 OK\r\nX: " + "a".repeat(70_000) + "\r\n\r\n",
            "HTTP/1.1 100 Continue\r\n\r\n",
        };
        AtomicInteger i = new AtomicInteger();
        closeAfterAnswer = true;
        URI base = serve(h -> answers[i.getAndIncrement()]);
        Http1Client c = new Http1Client(base, Duration.ofSeconds(2));
        for (String a : answers) {
            assertThrows(IOException.class, () -> c.exchange("GET", "/x", null, null), a.length() > 60 ? a.substring(0, 60) : a);
        }
        assertEquals(answers.length, connections.get(), "no connection with a refused answer is reused");
    }

    @Test
    void refusesCredentialsWithLineBreaks() throws Exception {
        URI base = serve(h -> ok("{}"));
        Http1Client c = new Http1Client(base, Duration.ofSeconds(2));
        assertThrows(IllegalArgumentException.class, () -> c.exchange("GET", "/x", "Bearer a\r\nX-Evil: 1", null));
        assertEquals(0, requests.size());
    }
}
