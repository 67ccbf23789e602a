package org.rfaas.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.rfaas.resourcemanager.ResourceManager;
import org.rfaas.resourcemanager.ResourceManagerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import org.rfaas.rmclient.ResourceManagerClient;

/** {@code rfaas resource-manager --config FILE}: runs the cluster's resource manager until SIGTERM / Ctrl-C. */
@Command(name = "resource-manager", mixinStandardHelpOptions = true,
        description = {"Runs the resource manager: node database, leases, billing, HTTP API on /v1.",
            "State lives in SQL (H2 file by default, PostgreSQL by JDBC URL); a restart loses nothing."})
public final class ResourceManagerCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "JSON config: host, port, adminToken, clusterSecret, dataDir or databaseUrl, "
                    + "heartbeatTimeoutMillis, placement (first-fit|least-loaded), defaultLeaseMillis, maxLeaseMillis.")
    Path config;

    @Option(names = "--port", paramLabel = "PORT", description = "Overrides the port of the config file (0 = any free port).")
    Integer port;

    @Override
    public Integer call() throws Exception {
        ResourceManagerConfig cfg;
        try {
            cfg = ResourceManagerConfig.load(config);
        } catch (java.io.IOException e) {
            System.err.println("rfaas resource-manager: " + e.getMessage());
            return 2;
        }
        if (port != null) {
            cfg = cfg.withPort(port);
        }
        ResourceManager.runUntilShutdown(cfg, System.out);
        return 0;
    }

    /**
     * Where the admin commands ({@code nodes}, {@code leases}, {@code billing}) find the resource
     * manager: {@code --url} and {@code --admin-token}, or the environment ({@code RFAAS_RM_URL},
     * {@code RFAAS_ADMIN_TOKEN}), or the resource manager's own config file ({@code --rm-config}).
     */
    public static final class Connection {
        @Option(names = "--url", paramLabel = "URL", description = "Resource manager base URL (default: $RFAAS_RM_URL, else from --rm-config, else http://127.0.0.1:8090).")
        String url;

        @Option(names = "--admin-token", paramLabel = "TOKEN", description = "Admin token (default: $RFAAS_ADMIN_TOKEN, else from --rm-config).")
        String adminToken;

        @Option(names = "--rm-config", paramLabel = "FILE", description = "Read the URL and admin token from the resource manager's config file.")
        Path rmConfig;

        /** An admin client, or an exception whose message says which setting is missing. */
        ResourceManagerClient admin() throws java.io.IOException {
            String u = url != null ? url : System.getenv("RFAAS_RM_URL");
            String t = adminToken != null ? adminToken : System.getenv("RFAAS_ADMIN_TOKEN");
            if ((u == null || t == null) && rmConfig != null) {
                ResourceManagerConfig c = ResourceManagerConfig.load(rmConfig);
                u = u != null ? u : "http://" + c.host() + ":" + (c.port() == 0 ? 8090 : c.port());
                t = t != null ? t : c.adminToken();
            }
            if (t == null) {
                throw new IllegalArgumentException("no admin token: pass --admin-token, set RFAAS_ADMIN_TOKEN, or --rm-config FILE");
            }
            return ResourceManagerClient.forAdmin(java.net.URI.create(u != null ? u : "http://127.0.0.1:8090"), t);
        }
    }

    /** Runs an admin command body, turning refusals into one line on stderr and exit code 1. */
    static int run(AdminAction action) {
        try {
            action.run();
            return 0;
        } catch (org.rfaas.rmclient.ResourceManagerException e) {
            System.err.println("rfaas: " + (e.status() > 0 ? "HTTP " + e.status() + " " + e.code() + ": " : "") + e.getMessage());
            return 1;
        } catch (IllegalArgumentException | java.io.IOException e) {
            System.err.println("rfaas: " + e.getMessage());
            return 2;
        }
    }

    /** Body of an admin command. */
    @FunctionalInterface
    interface AdminAction {
        void run() throws java.io.IOException;
    }
}
