package org.rfaas.resourcemanager;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Configuration of the resource manager, read from a JSON file. Every field has a default except
 * the two secrets; unknown fields are an error (a typo must not silently fall back to a default).
 *
 * <pre>{@code
 * {
 *   "host": "127.0.0.1", "port": 8090,
 *   "adminToken": "...", "clusterSecret": "... at least 16 bytes ...",
 *   "dataDir": "/var/lib/rfaas",                       // H2 file database here, unless
 *   "databaseUrl": "jdbc:postgresql://db/rfaas",       // a JDBC URL is given
 *   "databaseUser": "rfaas", "databasePassword": "...",
 *   "heartbeatTimeoutMillis": 10000, "placement": "first-fit",
 *   "defaultLeaseMillis": 600000, "maxLeaseMillis": 86400000,
 *   "metricsOpen": false,                              // true: /metrics without the admin token
 *   "tls": {"keystore": "/etc/rfaas/rm.p12", "keystorePassword": "..."},  // HTTPS only
 *   "leasePort": 8091                                  // binary lease endpoint; absent: none
 * }
 * }</pre>
 *
 * @param host listen address (loopback by default)
 * @param port listen port; 0 picks a free one (printed at start)
 * @param adminToken bearer token of the admin endpoints (at least 16 characters)
 * @param clusterSecret secret shared with the executor managers: signs lease tokens, derives node
 *     credentials (at least 16 bytes)
 * @param dataDir directory of the default H2 database {@code jdbc:h2:file:<dataDir>/rfaas-rm;WRITE_DELAY=0}
 * @param databaseUrl JDBC URL; overrides {@code dataDir}
 * @param databaseUser JDBC user, may be empty
 * @param databasePassword JDBC password, may be empty
 * @param heartbeatTimeoutMillis a node silent for this long is marked down and its leases revoked
 * @param placement {@code first-fit} or {@code least-loaded}
 * @param defaultLeaseMillis lease duration when the client asks for 0
 * @param maxLeaseMillis longest lease (and renewal) granted; longer requests are cut
 * @param sweepIntervalMillis period of the expiry / heartbeat sweeper
 * @param endedLeaseRetentionMillis how long heartbeat replies keep listing an ended lease
 * @param metricsOpen serve {@code /metrics} without credentials; by default it asks for the admin
 *     token like {@code /v1/billing}, since it carries the same per-tenant billing
 * @param leaderLeaseMillis 0 for one resource manager; more (at least 200) for several on one
 *     PostgreSQL database, of which the holder of this long a leadership lease serves and the others
 *     wait as standbys (answering 503) to take over once it has expired
 * @param tls serve HTTPS (only) with this key store, or null for plain HTTP
 * @param leasePort port of the binary lease endpoint ({@code rfaas-lease://host:port}, see
 *     {@link org.rfaas.rmclient.rpc.LeaseRpc}) on {@code host}, 0 for a free one; null for none.
 *     Plain TCP: not offered beside {@code tls}, since API keys would cross the network in clear
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record ResourceManagerConfig(String host, int port, String adminToken, String clusterSecret, String dataDir,
        String databaseUrl, String databaseUser, String databasePassword, long heartbeatTimeoutMillis,
        String placement, long defaultLeaseMillis, long maxLeaseMillis, long sweepIntervalMillis,
        long endedLeaseRetentionMillis, boolean metricsOpen, long leaderLeaseMillis, Tls tls, Integer leasePort) {

    /**
     * The HTTPS key store: a PKCS#12 (or JKS) file holding the server's key and certificate chain.
     *
     * @param keystore path of the key store file
     * @param keystorePassword its password
     */
    public record Tls(String keystore, String keystorePassword) {
        public Tls {
            if (keystore == null || keystore.isBlank() || !Files.isReadable(Path.of(keystore))) {
                throw new IllegalArgumentException("tls.keystore must name a readable key store file, got " + keystore);
            }
            keystorePassword = keystorePassword == null ? "" : keystorePassword;
        }
    }

    /** Without the binary lease endpoint (the constructor before {@code leasePort}). */
    public ResourceManagerConfig(String host, int port, String adminToken, String clusterSecret, String dataDir,
            String databaseUrl, String databaseUser, String databasePassword, long heartbeatTimeoutMillis,
            String placement, long defaultLeaseMillis, long maxLeaseMillis, long sweepIntervalMillis,
            long endedLeaseRetentionMillis, boolean metricsOpen, long leaderLeaseMillis, Tls tls) {
        this(host, port, adminToken, clusterSecret, dataDir, databaseUrl, databaseUser, databasePassword,
                heartbeatTimeoutMillis, placement, defaultLeaseMillis, maxLeaseMillis, sweepIntervalMillis,
                endedLeaseRetentionMillis, metricsOpen, leaderLeaseMillis, tls, null);
    }

    /** This config with the binary lease endpoint on {@code port} (0: a free one). */
    public ResourceManagerConfig withLeasePort(int port) {
        return new ResourceManagerConfig(host, this.port, adminToken, clusterSecret, dataDir, databaseUrl, databaseUser,
                databasePassword, heartbeatTimeoutMillis, placement, defaultLeaseMillis, maxLeaseMillis,
                sweepIntervalMillis, endedLeaseRetentionMillis, metricsOpen, leaderLeaseMillis, tls, port);
    }

    /** Plain HTTP, with or without leadership (the constructor before {@code tls}). */
    public ResourceManagerConfig(String host, int port, String adminToken, String clusterSecret, String dataDir,
            String databaseUrl, String databaseUser, String databasePassword, long heartbeatTimeoutMillis,
            String placement, long defaultLeaseMillis, long maxLeaseMillis, long sweepIntervalMillis,
            long endedLeaseRetentionMillis, boolean metricsOpen, long leaderLeaseMillis) {
        this(host, port, adminToken, clusterSecret, dataDir, databaseUrl, databaseUser, databasePassword,
                heartbeatTimeoutMillis, placement, defaultLeaseMillis, maxLeaseMillis, sweepIntervalMillis,
                endedLeaseRetentionMillis, metricsOpen, leaderLeaseMillis, null);
    }

    /** One resource manager over HTTPS ({@code tls}) or plain HTTP (null). */
    public ResourceManagerConfig(String host, int port, String adminToken, String clusterSecret, String dataDir,
            String databaseUrl, String databaseUser, String databasePassword, long heartbeatTimeoutMillis,
            String placement, long defaultLeaseMillis, long maxLeaseMillis, long sweepIntervalMillis,
            long endedLeaseRetentionMillis, boolean metricsOpen, Tls tls) {
        this(host, port, adminToken, clusterSecret, dataDir, databaseUrl, databaseUser, databasePassword,
                heartbeatTimeoutMillis, placement, defaultLeaseMillis, maxLeaseMillis, sweepIntervalMillis,
                endedLeaseRetentionMillis, metricsOpen, 0, tls);
    }

    /** A single resource manager (no leadership) over plain HTTP, as before {@code leaderLeaseMillis}. */
    public ResourceManagerConfig(String host, int port, String adminToken, String clusterSecret, String dataDir,
            String databaseUrl, String databaseUser, String databasePassword, long heartbeatTimeoutMillis,
            String placement, long defaultLeaseMillis, long maxLeaseMillis, long sweepIntervalMillis,
            long endedLeaseRetentionMillis, boolean metricsOpen) {
        this(host, port, adminToken, clusterSecret, dataDir, databaseUrl, databaseUser, databasePassword,
                heartbeatTimeoutMillis, placement, defaultLeaseMillis, maxLeaseMillis, sweepIntervalMillis,
                endedLeaseRetentionMillis, metricsOpen, 0, null);
    }

    /** A config with {@code /metrics} behind the admin token (the constructor before {@code metricsOpen}). */
    public ResourceManagerConfig(String host, int port, String adminToken, String clusterSecret, String dataDir,
            String databaseUrl, String databaseUser, String databasePassword, long heartbeatTimeoutMillis,
            String placement, long defaultLeaseMillis, long maxLeaseMillis, long sweepIntervalMillis,
            long endedLeaseRetentionMillis) {
        this(host, port, adminToken, clusterSecret, dataDir, databaseUrl, databaseUser, databasePassword,
                heartbeatTimeoutMillis, placement, defaultLeaseMillis, maxLeaseMillis, sweepIntervalMillis,
                endedLeaseRetentionMillis, false);
    }

    public ResourceManagerConfig {
        host = host == null || host.isBlank() ? "127.0.0.1" : host;
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in 0..65535, got " + port);
        }
        if (adminToken == null || adminToken.length() < 16) {
            throw new IllegalArgumentException("adminToken is missing or shorter than 16 characters");
        }
        if (clusterSecret == null || clusterSecret.getBytes(StandardCharsets.UTF_8).length < 16) {
            throw new IllegalArgumentException("clusterSecret is missing or shorter than 16 bytes");
        }
        dataDir = dataDir == null || dataDir.isBlank() ? "rfaas-rm-data" : dataDir;
        if (databaseUrl == null || databaseUrl.isBlank()) {
            // WRITE_DELAY=0: H2 writes each commit before answering, so a crashed (SIGKILLed) resource
            // manager loses nothing it has acknowledged (H2's default batches commits for 500 ms).
            databaseUrl = "jdbc:h2:file:" + Path.of(dataDir).toAbsolutePath() + "/rfaas-rm;WRITE_DELAY=0";
        } else if (!databaseUrl.startsWith("jdbc:")) {
            throw new IllegalArgumentException("databaseUrl must be a JDBC URL (jdbc:...), got " + databaseUrl);
        } else if (databaseUrl.equals("jdbc:h2:mem:") || databaseUrl.startsWith("jdbc:h2:mem:;")) {
            // the resource manager opens several connections (writer, reader, migrations): they must meet
            throw new IllegalArgumentException("an in-memory H2 databaseUrl needs a name (jdbc:h2:mem:NAME), got " + databaseUrl);
        }
        databaseUser = databaseUser == null ? "" : databaseUser;
        databasePassword = databasePassword == null ? "" : databasePassword;
        heartbeatTimeoutMillis = heartbeatTimeoutMillis == 0 ? 10_000 : heartbeatTimeoutMillis;
        placement = placement == null ? "first-fit" : placement;
        placementPolicy(placement); // validates
        defaultLeaseMillis = defaultLeaseMillis == 0 ? 600_000 : defaultLeaseMillis;
        maxLeaseMillis = maxLeaseMillis == 0 ? 86_400_000 : maxLeaseMillis;
        sweepIntervalMillis = sweepIntervalMillis == 0 ? Math.max(50, Math.min(1000, heartbeatTimeoutMillis / 4)) : sweepIntervalMillis;
        endedLeaseRetentionMillis = endedLeaseRetentionMillis == 0 ? Math.max(60_000, 6 * heartbeatTimeoutMillis) : endedLeaseRetentionMillis;
        if (heartbeatTimeoutMillis < 0 || defaultLeaseMillis < 0 || maxLeaseMillis < 0 || sweepIntervalMillis < 0
                || endedLeaseRetentionMillis < 0) {
            throw new IllegalArgumentException("durations must be positive (0 means the default)");
        }
        if (leaderLeaseMillis < 0 || (leaderLeaseMillis > 0 && leaderLeaseMillis < 200)) {
            throw new IllegalArgumentException("leaderLeaseMillis must be 0 (one resource manager) or at least 200, got "
                    + leaderLeaseMillis);
        }
        if (leaderLeaseMillis > 0 && databaseUrl.startsWith("jdbc:h2:")) {
            throw new IllegalArgumentException("leaderLeaseMillis needs a database shared by the resource managers"
                    + " (PostgreSQL), not the embedded H2");
        }
        if (leasePort != null && (leasePort < 0 || leasePort > 65535)) {
            throw new IllegalArgumentException("leasePort must be in 0..65535, got " + leasePort);
        }
        if (leasePort != null && tls != null) {
            throw new IllegalArgumentException("leasePort (plain TCP) cannot be offered beside tls: API keys would cross"
                    + " the network in clear");
        }
        if (defaultLeaseMillis > maxLeaseMillis) {
            throw new IllegalArgumentException("defaultLeaseMillis (" + defaultLeaseMillis + ") exceeds maxLeaseMillis (" + maxLeaseMillis + ")");
        }
    }

    /** A config with defaults for everything but the secrets and the data directory. */
    public static ResourceManagerConfig defaults(String adminToken, String clusterSecret, Path dataDir) {
        return new ResourceManagerConfig(null, 0, adminToken, clusterSecret, dataDir.toString(), null, null, null,
                0, null, 0, 0, 0, 0);
    }

    /** The placement policy named by {@link #placement()}. */
    public PlacementPolicy placementPolicy() {
        return placementPolicy(placement);
    }

    private static PlacementPolicy placementPolicy(String name) {
        return PlacementPolicy.named(name);
    }

    /** Reads and validates a config file; the exception message names the file and the problem. */
    public static ResourceManagerConfig load(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        try {
            return json.readValue(Files.readString(file), ResourceManagerConfig.class);
        } catch (ValueInstantiationException e) {
            String why = e.getCause() != null ? e.getCause().getMessage() : e.getOriginalMessage();
            throw new IOException("invalid resource manager config " + file + ": " + why, e);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException("invalid resource manager config " + file + ": " + e.getOriginalMessage(), e);
        }
    }

    /** Same config with another port (tests and benchmarks listen on a free port). */
    public ResourceManagerConfig withPort(int newPort) {
        return new ResourceManagerConfig(host, newPort, adminToken, clusterSecret, dataDir, databaseUrl, databaseUser,
                databasePassword, heartbeatTimeoutMillis, placement, defaultLeaseMillis, maxLeaseMillis,
                sweepIntervalMillis, endedLeaseRetentionMillis, metricsOpen, leaderLeaseMillis);
    }
}
