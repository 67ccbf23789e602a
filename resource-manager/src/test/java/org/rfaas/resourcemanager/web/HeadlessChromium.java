package org.rfaas.resourcemanager.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Debian's chromium, headless, driven over the Chrome DevTools Protocol through Java's own
 * WebSocket client: one page, navigate, evaluate JavaScript, take a screenshot. Its profile lives
 * in a fresh temporary directory that {@link #close} deletes, together with every process of the
 * browser. Host names resolve to nothing (only 127.0.0.1 is reachable by name), so the browser's
 * background services cannot reach the internet.
 */
final class HeadlessChromium implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TIMEOUT_SECONDS = 60;

    private final Process process;
    private volatile List<ProcessHandle> tree;
    private final Path profile;
    private final WebSocket socket;
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final String session;

    private HeadlessChromium(Process process, Path profile, WebSocket socket, Listener listener) throws Exception {
        this.process = process;
        this.profile = profile;
        this.socket = socket;
        listener.owner = this;
        JsonNode target = send("Target.createTarget", Map.of("url", "about:blank"), null);
        this.session = send("Target.attachToTarget", Map.of("targetId", target.get("targetId").asText(), "flatten", true), null)
                .get("sessionId").asText();
        send("Emulation.setDeviceMetricsOverride", Map.of("width", 1280, "height", 1100, "deviceScaleFactor", 1,
                "mobile", false), session);
        this.tree = process.descendants().toList(); // renderers etc., known before anything is killed
    }

    /** Starts chromium ({@code RFAAS_CHROMIUM} or /usr/bin/chromium); its stderr goes to {@code log}. */
    static HeadlessChromium start(Path log) throws Exception {
        String exe = System.getenv().getOrDefault("RFAAS_CHROMIUM", "/usr/bin/chromium");
        if (!Files.isExecutable(Path.of(exe))) {
            throw new IllegalStateException(exe + " is not installed (Debian package 'chromium'); the dashboard test needs it");
        }
        Path profile = Files.createTempDirectory("rfaas-chromium-");
        Process p = new ProcessBuilder(exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
                "--remote-allow-origins=*", "--user-data-dir=" + profile, "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--no-pings", "--disable-domain-reliability", "--disable-breakpad",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1", "--window-size=1280,1100", "about:blank")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            CompletableFuture<URI> devtools = new CompletableFuture<>();
            Thread.ofPlatform().daemon().name("chromium-stderr").start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
                        PrintWriter out = new PrintWriter(Files.newBufferedWriter(log))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        out.println(line);
                        out.flush();
                        int at = line.indexOf("ws://");
                        if (line.startsWith("DevTools listening on") && at >= 0) {
                            devtools.complete(URI.create(line.substring(at).trim()));
                        }
                    }
                } catch (IOException e) {
                    devtools.completeExceptionally(e);
                }
                devtools.completeExceptionally(new IOException("chromium exited before listening; see " + log));
            });
            URI ws = devtools.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            Listener listener = new Listener();
            WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(ws, listener)
                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return new HeadlessChromium(p, profile, socket, listener);
        } catch (Exception | Error e) {
            kill(p, p.descendants().toList());
            deleteTree(profile);
            throw e;
        }
    }

    /** Loads {@code url} in the page (the caller waits for what it expects to see). */
    void navigate(String url) throws Exception {
        JsonNode r = send("Page.navigate", Map.of("url", url), session);
        if (r.hasNonNull("errorText")) {
            throw new IOException("navigation to " + url + " failed: " + r.get("errorText").asText());
        }
    }

    /** Evaluates {@code expression} in the page and returns its value as JSON (promises awaited). */
    JsonNode eval(String expression) throws Exception {
        JsonNode r = send("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true, "awaitPromise", true),
                session);
        if (r.has("exceptionDetails")) {
            throw new IllegalStateException("page threw on '" + expression + "': " + r.get("exceptionDetails"));
        }
        JsonNode v = r.get("result").get("value");
        return v == null ? JSON.nullNode() : v;
    }

    /**
     * Polls {@code condition} (a JavaScript boolean expression; one that throws, e.g. while the
     * page loads, counts as false) until true; fails with {@code what} after {@code millis}.
     */
    void waitFor(String condition, long millis, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!eval("(() => { try { return Boolean(" + condition + "); } catch (e) { return false; } })()").asBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the page did not show " + what + " within " + millis + " ms; body text: "
                        + eval("document.body.innerText").asText());
            }
            Thread.sleep(100);
        }
    }

    /** A PNG of the page, as tall as its content (at most the viewport's height). */
    byte[] screenshot() throws Exception {
        double height = Math.min(1100, eval("document.body.getBoundingClientRect().bottom").asDouble());
        Map<String, Object> clip = Map.of("x", 0, "y", 0, "width", 1280, "height", Math.ceil(height), "scale", 1);
        return Base64.getDecoder().decode(send("Page.captureScreenshot", Map.of("format", "png", "clip", clip), session)
                .get("data").asText());
    }

    private JsonNode send(String method, Map<String, Object> params, String sessionId) throws Exception {
        long id = ids.incrementAndGet();
        ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
        msg.set("params", JSON.valueToTree(params));
        if (sessionId != null) {
            msg.put("sessionId", sessionId);
        }
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        synchronized (socket) {
            socket.sendText(JSON.writeValueAsString(msg), true).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        JsonNode r = reply.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (r.has("error")) {
            throw new IOException(method + " failed: " + r.get("error"));
        }
        return r.get("result");
    }

    /** Collects (possibly fragmented) messages and completes the matching request. */
    private static final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();
        volatile HeadlessChromium owner;

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                try {
                    JsonNode m = JSON.readTree(text);
                    HeadlessChromium o = owner;
                    if (m.has("id") && o != null) {
                        CompletableFuture<JsonNode> f = o.pending.remove(m.get("id").asLong());
                        if (f != null) {
                            f.complete(m);
                        }
                    }
                } catch (IOException e) {
                    throw new IllegalStateException("unparsable DevTools message", e);
                }
            }
            ws.request(1);
            return null;
        }
    }

    /** Whether any process of the browser is still alive. */
    boolean anyAlive() {
        return process.isAlive() || tree.stream().anyMatch(ProcessHandle::isAlive);
    }

    @Override
    public void close() throws IOException {
        // every process of the browser, listed while they are still its children
        tree = Stream.concat(tree.stream(), process.descendants()).distinct().toList();
        try {
            send("Browser.close", Map.of(), null);
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // a browser that does not close politely is killed below
        }
        socket.abort();
        kill(process, tree);
        deleteTree(profile);
    }

    private static void kill(Process p, List<ProcessHandle> children) {
        p.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        try {
            p.waitFor(10, TimeUnit.SECONDS);
            for (ProcessHandle h : children) {
                h.onExit().get(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // reported by anyAlive()
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
