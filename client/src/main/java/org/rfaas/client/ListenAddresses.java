package org.rfaas.client;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import org.rfaas.transport.Routes;
import org.rfaas.transport.Transports;

/**
 * Where the client listens for the workers of an executor on a given manager.
 *
 * <p>Precedence: a full address configured for the transport ({@code listenAddress("tcp",
 * "tcp://10.0.0.5:0")}), then a host configured for every IP transport ({@code listenHost(..)}),
 * then the local address the operating system routes to the manager. The route is found by
 * "connecting" a UDP socket to the manager, which only selects a source address: no packet is
 * sent. A client on another host is then reachable at an address of the interface that faces the
 * manager, which a host derived from the manager's own address (the old default) was not.
 * {@code shm:} is same-host only and listens on a fresh socket path.
 *
 * <p>A route found is kept for {@link #ROUTE_TTL_NANOS}: finding it (parsing, a UDP socket opened,
 * connected and closed) took 0.3-0.5 ms of every tcp allocation, on the cold start's path; a
 * route that changes is followed within that time.
 */
final class ListenAddresses {
    /** How long a route found stays in use. */
    static final long ROUTE_TTL_NANOS = 10_000_000_000L;

    private final Map<String, String> byTransport;
    private final String host;
    /** Source addresses found by {@link #routeTo}, by the manager's {@code host:port}. */
    private final Map<String, Route> routes = new ConcurrentHashMap<>();
    private final UnaryOperator<String> findRoute;
    private final LongSupplier clock;

    /** A source address found at {@code foundNanos} ({@link System#nanoTime}). */
    private record Route(String local, long foundNanos) {
    }

    /**
     * @param byTransport full listen addresses per transport name ({@code tcp}, {@code fabric:tcp})
     * @param host a host for every IP transport, or {@code null} to follow the route
     */
    ListenAddresses(Map<String, String> byTransport, String host) {
        this(byTransport, host, ListenAddresses::routeTo, System::nanoTime);
    }

    /** Tests: routes found by {@code findRoute}, their age told by {@code clock} (nanoseconds). */
    ListenAddresses(Map<String, String> byTransport, String host, UnaryOperator<String> findRoute, LongSupplier clock) {
        this.byTransport = Map.copyOf(byTransport);
        this.host = host;
        this.findRoute = findRoute;
        this.clock = clock;
    }

    /** The listen address for workers of the manager at {@code managerAddress}. */
    String forManager(String managerAddress) {
        String transport = Transports.transportOf(managerAddress);
        String configured = byTransport.get(transport);
        if (configured != null) {
            return configured;
        }
        int sep = managerAddress.indexOf("://");
        if (sep < 0) {
            return transport + ":";
        }
        String scheme = managerAddress.substring(0, sep);
        String local = host != null ? host : cachedRouteTo(managerAddress.substring(sep + 3));
        return scheme + "://" + local + ":0";
    }

    /** {@link #routeTo}, found again once {@link #ROUTE_TTL_NANOS} passed since the last time. */
    private String cachedRouteTo(String hostPort) {
        long now = clock.getAsLong();
        Route r = routes.get(hostPort);
        if (r == null || now - r.foundNanos() > ROUTE_TTL_NANOS) {
            if (routes.size() >= 1024) {
                routes.clear(); // a client talks to a bounded set of managers; this only bounds the memory
            }
            r = new Route(findRoute.apply(hostPort), now);
            routes.put(hostPort, r);
        }
        return r.local();
    }

    /**
     * The local address the kernel would send from to reach {@code hostPort}
     * ({@code host:port} or {@code [v6]:port}), as a literal usable in an address.
     */
    static String routeTo(String hostPort) {
        URI parsed;
        try {
            parsed = new URI("route://" + hostPort);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("manager address '" + hostPort + "' is malformed: " + e.getMessage(), e);
        }
        String host = parsed.getHost();
        int port = parsed.getPort();
        if (host == null || port < 0) {
            throw new IllegalArgumentException("manager address '" + hostPort + "' needs a host and a port");
        }
        try {
            InetAddress local = Routes.sourceAddressTowards(InetAddress.getByName(host), port)
                    .orElseThrow(() -> new AllocationRefusedException("no local address routes to the executor manager at "
                            + hostPort + "; give the client a listen address"));
            String literal = local.getHostAddress();
            int zone = literal.indexOf('%');
            if (zone >= 0) {
                literal = literal.substring(0, zone);
            }
            return local instanceof Inet6Address ? "[" + literal + "]" : literal;
        } catch (IOException e) {
            throw new AllocationRefusedException("cannot find the route to executor manager " + hostPort + ": "
                    + e.getMessage(), e);
        }
    }
}
