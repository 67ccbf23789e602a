package org.rfaas.resourcemanager;

import io.javalin.config.JavalinConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.ConnectionLimit;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The limits of the resource manager's HTTP listener, all in one place: what a client that
 * connects and says nothing, sends its request a byte at a time, sends garbage, or opens
 * thousands of connections can take from the others. Jetty parses requests on its selector
 * threads without blocking, so a slow or silent client holds a socket and a small buffer, not a
 * thread; these limits bound how many such sockets there are and how long each may live.
 */
final class HttpLimits {
    private static final Logger LOG = LoggerFactory.getLogger(HttpLimits.class);
    /** A connection with no bytes moving for this long is closed (a silent or stalled client). */
    static final long IDLE_TIMEOUT_MILLIS = 10_000;
    /** Open connections, all clients together; beyond it Jetty stops accepting until some close. */
    static final int MAX_CONNECTIONS = 8192;
    /**
     * Open connections from one address. Generous for a node running many MPI ranks (each with a
     * client); a flood from one address is cut here and leaves the others their connections.
     */
    static final int MAX_CONNECTIONS_PER_SOURCE = 512;
    /**
     * Largest request body. The largest legitimate one is a batch release of
     * {@code LeaseBatchRequest.MAX_COUNT} (16,384) leases with their tokens, about 2.3 MB.
     */
    static final long MAX_REQUEST_BYTES = 4 << 20;
    /** Largest request line plus headers. */
    static final int MAX_HEADER_BYTES = 16 << 10;

    private HttpLimits() {
    }

    /**
     * Applies the limits and makes the one connector, plain HTTP or (with {@code tls}) HTTPS only.
     */
    static void apply(JavalinConfig c, ResourceManagerConfig config) {
        c.http.maxRequestSize = MAX_REQUEST_BYTES;
        c.jetty.modifyHttpConfiguration(http -> http.setRequestHeaderSize(MAX_HEADER_BYTES));
        c.jetty.modifyServer(server -> server.addBean(new ConnectionLimit(MAX_CONNECTIONS, server)));
        c.jetty.addConnector((server, http) -> {
            ServerConnector connector;
            if (config.tls() != null) {
                SslContextFactory.Server ssl = new SslContextFactory.Server();
                ssl.setKeyStorePath(config.tls().keystore());
                ssl.setKeyStorePassword(config.tls().keystorePassword());
                connector = new ServerConnector(server, ssl, new HttpConnectionFactory(http));
            } else {
                connector = new ServerConnector(server, new HttpConnectionFactory(http));
            }
            connector.setHost(config.host());
            connector.setPort(config.port());
            connector.setIdleTimeout(IDLE_TIMEOUT_MILLIS);
            connector.addBean(new PerSourceLimit(MAX_CONNECTIONS_PER_SOURCE));
            return connector;
        });
    }

    /** Closes a new connection from an address that holds {@code max} already. */
    static final class PerSourceLimit implements Connection.Listener {
        private final int max;
        private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();

        PerSourceLimit(int max) {
            this.max = max;
        }

        @Override
        public void onOpened(Connection connection) {
            InetAddress source = sourceOf(connection);
            if (source == null) {
                return;
            }
            int n = open.merge(source, 1, Integer::sum);
            if (n > max) {
                LOG.warn("closing a connection from {}: it holds {} already, at most {} per address", source, n - 1, max);
                connection.getEndPoint().close();
            }
        }

        @Override
        public void onClosed(Connection connection) {
            InetAddress source = sourceOf(connection);
            if (source != null) {
                open.computeIfPresent(source, (a, n) -> n <= 1 ? null : n - 1);
            }
        }

        /** Open connections from {@code source}. */
        int openFrom(InetAddress source) {
            return open.getOrDefault(source, 0);
        }

        /** The client's address for the network-level connection; null for layers above it (TLS's HTTP). */
        private static InetAddress sourceOf(Connection connection) {
            if (!(connection.getEndPoint() instanceof SocketChannelEndPoint endPoint)) {
                return null;
            }
            SocketAddress remote = endPoint.getRemoteSocketAddress();
            return remote instanceof InetSocketAddress inet ? inet.getAddress() : null;
        }
    }
}
