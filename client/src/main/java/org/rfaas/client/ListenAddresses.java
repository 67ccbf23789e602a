package org.rfaas.client;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
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
 */
final class ListenAddresses {
    private final Map<String, String> byTransport;
    private final String host;

    /**
     * @param byTransport full listen addresses per transport name ({@code tcp}, {@code fabric:tcp})
     * @param host a host for every IP transport, or {@code null} to follow the route
     */
    ListenAddresses(Map<String, String> byTransport, String host) {
        this.byTransport = Map.copyOf(byTransport);
        this.host = host;
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
        String local = host != null ? host : routeTo(managerAddress.substring(sep + 3));
        return scheme + "://" + local + ":0";
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
