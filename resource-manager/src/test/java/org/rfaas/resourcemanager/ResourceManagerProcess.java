package org.rfaas.resourcemanager;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.rfaas.rmclient.ResourceManagerClient;

/** A resource manager running in a child JVM, as in production: tests talk to it over HTTP only. */
final class ResourceManagerProcess implements AutoCloseable {
    static final String ADMIN = "test-admin-token-0123456789";
    static final String SECRET = "test-cluster-secret-0123456789";
    /** Per-request timeout: generous, the test machine may be heavily loaded. */
    static final java.time.Duration PATIENCE = java.time.Duration.ofSeconds(60);

    private final Process process;
    private final URI uri;
    final Path log;

    /** The binary lease endpoint ({@code rfaas-lease://...}); every test resource manager has one. */
    String leaseEndpoint;

    private ResourceManagerProcess(Process process, URI uri, Path log) {
        this.process = process;
        this.uri = uri;
        this.log = log;
    }

    /**
     * With {@code -Drfaas.rm.test.postgres=true} the tests run against PostgreSQL: one server for
     * the test JVM ({@link PostgresServer}), one database per test directory (a restart on the same
     * directory finds the same database).
     */
    static final boolean POSTGRES = Boolean.getBoolean("rfaas.rm.test.postgres");
    private static PostgresServer postgres;
    private static final java.util.Map<Path, String> DATABASES = new java.util.HashMap<>();

    private static synchronized String databaseUrl(Path dir) throws IOException {
        if (!POSTGRES) {
            return null;
        }
        try {
            if (postgres == null) {
                postgres = PostgresServer.start();
                PostgresServer server = postgres;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        server.close();
                    } catch (Exception e) {
                        // the test JVM is ending; the server's files are in /tmp
                    }
                }));
            }
            String url = DATABASES.get(dir);
            if (url == null) {
                url = postgres.newDatabase();
                DATABASES.put(dir, url);
            }
            return url;
        } catch (InterruptedException | java.sql.SQLException e) {
            throw new IOException("cannot start PostgreSQL for the tests: " + e.getMessage(), e);
        }
    }

    /** Writes a config into {@code dir} (database in {@code dir/data}, or PostgreSQL) and starts the process. */
    static ResourceManagerProcess start(Path dir, long heartbeatTimeoutMillis, String placement) throws IOException {
        Path config = dir.resolve("rm.json");
        String url = databaseUrl(dir);
        Files.writeString(config, """
                {"host": "127.0.0.1", "port": 0, "adminToken": "%s", "clusterSecret": "%s", "dataDir": "%s",
                 "heartbeatTimeoutMillis": %d, "placement": "%s", "defaultLeaseMillis": 60000, "maxLeaseMillis": 600000,
                 "sweepIntervalMillis": 50, "leasePort": 0%s}
                """.formatted(ADMIN, SECRET, dir.resolve("data").toString().replace("\\", "\\\\"), heartbeatTimeoutMillis, placement,
                url == null ? "" : ", \"databaseUrl\": \"" + url + "\", \"databaseUser\": \"" + PostgresServer.USER + "\""));
        return start(config, dir.resolve("rm-" + System.nanoTime() + ".log"));
    }

    static ResourceManagerProcess start(Path config, Path log) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx128m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                ResourceManager.class.getName(), config.toString()))
                .redirectError(log.toFile()).start();
        String[] endpoint = new String[1];
        CompletableFuture<URI> ready = CompletableFuture.supplyAsync(() -> {
            try {
                BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                for (String line; (line = r.readLine()) != null; ) {
                    int lease = line.indexOf("lease endpoint ");
                    if (lease >= 0) {
                        endpoint[0] = line.substring(lease + "lease endpoint ".length()).trim();
                    }
                    int at = line.indexOf("listening on ");
                    if (at >= 0) {
                        return URI.create(line.substring(at + "listening on ".length()).trim());
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        });
        try {
            URI uri = ready.get(90, TimeUnit.SECONDS);
            if (uri == null) {
                throw new IOException("resource manager exited before listening; log:\n" + Files.readString(log));
            }
            ResourceManagerProcess rm = new ResourceManagerProcess(p, uri, log);
            rm.leaseEndpoint = endpoint[0];
            return rm;
        } catch (Exception e) {
            p.destroyForcibly();
            throw new IOException("resource manager did not start: " + e + "\n" + (Files.exists(log) ? Files.readString(log) : ""), e);
        }
    }

    URI uri() {
        return uri;
    }

    ResourceManagerClient admin() {
        return new ResourceManagerClient(uri, ADMIN, null, PATIENCE);
    }

    ResourceManagerClient node() {
        return new ResourceManagerClient(uri, null, SECRET, PATIENCE);
    }

    /**
     * A lease client that asks as the operator (the admin token in place of an API key) for
     * whichever tenant a test names, without admin access otherwise; tenants' own API keys are
     * tested in {@link TenantAuthTest}.
     */
    ResourceManagerClient client() {
        return new ResourceManagerClient(uri, null, null, ADMIN, PATIENCE);
    }

    /** A lease client of a tenant, with its API key. */
    ResourceManagerClient tenant(String apiKey) {
        return new ResourceManagerClient(uri, null, null, apiKey, PATIENCE);
    }

    /** SIGTERM and wait: the process closes its database and exits. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** SIGKILL: a crash, nothing gets closed. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
