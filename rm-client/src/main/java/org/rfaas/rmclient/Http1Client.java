package org.rfaas.rmclient;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedDeque;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A small HTTP/1.1 client for one server: persistent (keep-alive) connections, one request at a
 * time on each, pooled so that each calling thread in effect keeps its own. It replaces the JDK
 * {@code HttpClient} on the resource manager's request path, whose per-request machinery (selector
 * thread hand-offs, async pipelines) cost more than the resource manager's own work for a grant.
 *
 * <p>Every answer is validated: status line, header block size, {@code Content-Length} or chunked
 * framing, body size; a connection whose answer was not read whole, or that the server asked to
 * close, is not reused. Idle connections are dropped after {@link #IDLE_NANOS}, well before the
 * server's idle timeout (Jetty: 30 s), so a pooled connection is not found closed under a request.
 */
final class Http1Client implements AutoCloseable {
    /** A status and the body as text. */
    record Response(int status, String body) {
    }

    /** Connections idle longer than this are closed rather than reused. */
    static final long IDLE_NANOS = 10_000_000_000L;
    private static final int MAX_HEADER_BYTES = 64 * 1024;
    /** Largest accepted body (a listing of many leases); bounds what a broken server can make us buffer. */
    static final int MAX_BODY_BYTES = 256 * 1024 * 1024;
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    private final String host;
    private final int port;
    private final boolean tls;
    /** Path prefix of the base URI ("" or e.g. "/rm"), prepended to every request path. */
    private final String prefix;
    private final byte[] hostHeader;
    private final int timeoutMillis;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;

    Http1Client(URI base, Duration timeout) {
        String scheme = base.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalArgumentException("resource manager URI must be http or https, got " + base);
        }
        if (base.getHost() == null) {
            throw new IllegalArgumentException("resource manager URI has no host: " + base);
        }
        this.tls = "https".equals(scheme);
        this.host = base.getHost();
        this.port = base.getPort() > 0 ? base.getPort() : tls ? 443 : 80;
        String p = base.getRawPath() == null ? "" : base.getRawPath();
        this.prefix = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
        this.hostHeader = (base.getPort() > 0 ? base.getHost() + ":" + base.getPort() : base.getHost())
                .getBytes(StandardCharsets.US_ASCII);
        this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
    }

    /**
     * Sends one request and reads its answer. A pooled connection that fails before any byte of the
     * answer arrived (the server closed it meanwhile) is replaced by a fresh one and the request
     * sent again, once.
     *
     * @param auth the {@code Authorization} value, or null
     * @param body the JSON body, or null
     */
    Response exchange(String method, String path, String auth, byte[] body) throws IOException {
        byte[] request = encode(method, path, auth, body);
        Connection c = pooled();
        if (c != null) {
            try {
                return finish(c, c.exchange(request));
            } catch (StaleConnectionException e) {
                c.close(); // closed by the server while idle: the request never reached it whole
            } catch (IOException | RuntimeException e) {
                c.close();
                throw e;
            }
        }
        c = open();
        try {
            return finish(c, c.exchange(request));
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private Response finish(Connection c, Response r) {
        if (c.reusable && !closed) {
            c.idleSince = System.nanoTime();
            idle.push(c);
        } else {
            c.close();
        }
        return r;
    }

    private Connection pooled() {
        Connection c;
        while ((c = idle.poll()) != null) {
            if (System.nanoTime() - c.idleSince < IDLE_NANOS) {
                return c;
            }
            c.close();
        }
        return null;
    }

    private Connection open() throws IOException {
        Socket s;
        if (tls) {
            SSLContext ctx;
            try {
                ctx = SSLContext.getDefault();
            } catch (NoSuchAlgorithmException e) {
                throw new IOException("no TLS context", e);
            }
            SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket();
            SSLParameters params = ssl.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS"); // check the certificate names the host
            ssl.setSSLParameters(params);
            s = ssl;
        } else {
            s = new Socket();
        }
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
            s.setSoTimeout(timeoutMillis);
            if (s instanceof SSLSocket ssl) {
                ssl.startHandshake();
            }
            return new Connection(s);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private byte[] encode(String method, String path, String auth, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + (body == null ? 0 : body.length));
        ascii(out, method);
        out.write(' ');
        ascii(out, prefix);
        ascii(out, path);
        ascii(out, " HTTP/1.1\r\nHost: ");
        out.writeBytes(hostHeader);
        ascii(out, "\r\nAccept: application/json\r\n");
        if (auth != null) {
            if (auth.indexOf('\r') >= 0 || auth.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("credential contains a line break");
            }
            ascii(out, "Authorization: ");
            out.writeBytes(auth.getBytes(StandardCharsets.UTF_8));
            ascii(out, "\r\n");
        }
        if (body != null) {
            ascii(out, "Content-Type: application/json\r\nContent-Length: ");
            ascii(out, Integer.toString(body.length));
            ascii(out, "\r\n\r\n");
            out.writeBytes(body);
        } else if (!"GET".equals(method)) {
            ascii(out, "Content-Length: 0\r\n\r\n");
        } else {
            ascii(out, "\r\n");
        }
        return out.toByteArray();
    }

    private static void ascii(ByteArrayOutputStream out, String s) {
        for (int i = 0; i < s.length(); i++) {
            out.write(s.charAt(i));
        }
    }

    @Override
    public void close() {
        closed = true;
        Connection c;
        while ((c = idle.poll()) != null) {
            c.close();
        }
    }

    /** The pooled connection failed before the first byte of the answer: it was closed while idle. */
    private static final class StaleConnectionException extends IOException {
        StaleConnectionException(Throwable cause) {
            super("connection closed by the server", cause);
        }
    }

    /** One socket, one request at a time. */
    private static final class Connection {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private boolean used;
        boolean reusable;
        long idleSince;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream(), 8192);
            this.out = socket.getOutputStream();
        }

        Response exchange(byte[] request) throws IOException {
            boolean reused = used;
            used = true;
            reusable = false;
            int first;
            try {
                out.write(request);
                out.flush();
                first = in.read();
            } catch (IOException e) {
                throw reused ? new StaleConnectionException(e) : e;
            }
            if (first < 0) {
                throw reused ? new StaleConnectionException(null) : new EOFException("connection closed before an answer");
            }
            return readResponse(first);
        }

        private Response readResponse(int first) throws IOException {
            byte[] head = new byte[1024];
            int headBytes = 0;
            String statusLine = line(first, head);
            headBytes += statusLine.length();
            // "HTTP/1.1 200 OK": version, three-digit status, optional reason
            if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12 || statusLine.charAt(8) != ' '
                    || (statusLine.length() > 12 && statusLine.charAt(12) != ' ')) {
                throw new IOException("malformed HTTP status line: " + abbreviate(statusLine));
            }
            int status = parseStatus(statusLine);
            if (status < 200) {
                throw new IOException("unexpected interim answer: " + abbreviate(statusLine));
            }
            boolean keepAlive = statusLine.charAt(7) == '1';
            long length = -1;
            boolean chunked = false;
            while (true) {
                String h = line(in.read(), head);
                headBytes += h.length() + 2;
                if (headBytes > MAX_HEADER_BYTES) {
                    throw new IOException("HTTP header block larger than " + MAX_HEADER_BYTES + " bytes");
                }
                if (h.isEmpty()) {
                    break;
                }
                int colon = h.indexOf(':');
                if (colon <= 0) {
                    throw new IOException("malformed HTTP header: " + abbreviate(h));
                }
                String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = h.substring(colon + 1).trim();
                switch (name) {
                    case "content-length" -> {
                        long v;
                        try {
                            v = Long.parseLong(value);
                        } catch (NumberFormatException e) {
                            throw new IOException("malformed Content-Length: " + abbreviate(value));
                        }
                        if (v < 0 || (length >= 0 && length != v)) {
                            throw new IOException("invalid Content-Length: " + abbreviate(value));
                        }
                        length = v;
                    }
                    case "transfer-encoding" -> {
                        if (!"chunked".equalsIgnoreCase(value)) {
                            throw new IOException("unsupported Transfer-Encoding: " + abbreviate(value));
                        }
                        chunked = true;
                    }
                    case "connection" -> {
                        if (value.toLowerCase(Locale.ROOT).contains("close")) {
                            keepAlive = false;
                        }
                    }
                    default -> { }
                }
            }
            byte[] body;
            if (chunked) {
                if (length >= 0) {
                    throw new IOException("answer has both Content-Length and chunked encoding");
                }
                body = readChunked(head);
            } else if (length >= 0) {
                if (length > MAX_BODY_BYTES) {
                    throw new IOException("answer body of " + length + " bytes is larger than " + MAX_BODY_BYTES);
                }
                body = in.readNBytes((int) length);
                if (body.length != length) {
                    throw new EOFException("answer body cut short: " + body.length + " of " + length + " bytes");
                }
            } else if (status == 204 || status == 304) {
                body = new byte[0];
            } else {
                // no framing: the body runs to the end of the connection
                body = in.readNBytes(MAX_BODY_BYTES + 1);
                if (body.length > MAX_BODY_BYTES) {
                    throw new IOException("answer body larger than " + MAX_BODY_BYTES + " bytes");
                }
                keepAlive = false;
            }
            reusable = keepAlive;
            return new Response(status, new String(body, StandardCharsets.UTF_8));
        }

        private byte[] readChunked(byte[] scratch) throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                String sizeLine = line(in.read(), scratch);
                int semi = sizeLine.indexOf(';');
                String hex = (semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim();
                int size;
                try {
                    size = Integer.parseInt(hex, 16);
                } catch (NumberFormatException e) {
                    throw new IOException("malformed chunk size: " + abbreviate(sizeLine));
                }
                if (size < 0 || body.size() + (long) size > MAX_BODY_BYTES) {
                    throw new IOException("chunked answer larger than " + MAX_BODY_BYTES + " bytes");
                }
                if (size == 0) {
                    // trailers, up to the blank line
                    int trailerBytes = 0;
                    String t;
                    while (!(t = line(in.read(), scratch)).isEmpty()) {
                        trailerBytes += t.length();
                        if (trailerBytes > MAX_HEADER_BYTES) {
                            throw new IOException("HTTP trailers larger than " + MAX_HEADER_BYTES + " bytes");
                        }
                    }
                    return body.toByteArray();
                }
                byte[] chunk = in.readNBytes(size);
                if (chunk.length != size) {
                    throw new EOFException("chunk cut short");
                }
                body.writeBytes(chunk);
                if (!line(in.read(), scratch).isEmpty()) {
                    throw new IOException("chunk not followed by CRLF");
                }
            }
        }

        /** One CRLF-terminated line starting with byte {@code b} (already read), without the CRLF. */
        private String line(int b, byte[] buf) throws IOException {
            int n = 0;
            while (true) {
                if (b < 0) {
                    throw new EOFException("connection closed inside an HTTP answer");
                }
                if (b == '\r') {
                    if (in.read() != '\n') {
                        throw new IOException("bare CR in an HTTP answer");
                    }
                    return new String(buf, 0, n, StandardCharsets.ISO_8859_1);
                }
                if (b == '\n') {
                    throw new IOException("bare LF in an HTTP answer");
                }
                if (n == buf.length) {
                    throw new IOException("HTTP line longer than " + buf.length + " bytes");
                }
                buf[n++] = (byte) b;
                b = in.read();
            }
        }

        private static int parseStatus(String statusLine) throws IOException {
            int s = 0;
            for (int i = 9; i < 12; i++) {
                char ch = statusLine.charAt(i);
                if (ch < '0' || ch > '9') {
                    throw new IOException("malformed HTTP status: " + abbreviate(statusLine));
                }
                s = s * 10 + (ch - '0');
            }
            if (s < 100) {
                throw new IOException("malformed HTTP status: " + abbreviate(statusLine));
            }
            return s;
        }

        void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // nothing to do: the connection is dropped either way
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
