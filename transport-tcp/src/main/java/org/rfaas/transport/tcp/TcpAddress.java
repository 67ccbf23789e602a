package org.rfaas.transport.tcp;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import org.rfaas.transport.TransportException;

/** Parses and formats {@code tcp://host:port} addresses. */
final class TcpAddress {
    static final String PREFIX = "tcp://";

    private TcpAddress() {
    }

    /** The socket address of {@code tcp://host:port}; port 0 is allowed (listen on any free port). */
    static InetSocketAddress parse(String address) {
        if (address == null || !address.startsWith(PREFIX)) {
            throw new TransportException("tcp address must look like tcp://host:port, got '" + address + "'");
        }
        URI uri;
        try {
            uri = new URI(address);
        } catch (URISyntaxException e) {
            throw new TransportException("malformed tcp address '" + address + "': " + e.getMessage(), e);
        }
        String host = uri.getHost();
        int port = uri.getPort();
        if (host == null || port < 0 || port > 65535 || (uri.getPath() != null && !uri.getPath().isEmpty())) {
            throw new TransportException("tcp address must look like tcp://host:port, got '" + address + "'");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new TransportException("cannot resolve host '" + host + "' of " + address, e);
        }
    }

    /** The {@code tcp://host:port} form of a socket address. */
    static String format(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        if (host.indexOf(':') >= 0) {
            int zone = host.indexOf('%');
            host = "[" + (zone >= 0 ? host.substring(0, zone) : host) + "]";
        }
        return PREFIX + host + ":" + a.getPort();
    }
}
