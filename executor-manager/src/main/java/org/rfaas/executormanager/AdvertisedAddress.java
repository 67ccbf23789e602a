package org.rfaas.executormanager;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.rfaas.transport.Routes;
import org.rfaas.transport.Transports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The addresses a manager tells others (the resource manager at registration, and through it the
 * clients) for the addresses it is bound to. A bound address with a specific host is its own
 * advertised address; one bound to the wildcard ({@code 0.0.0.0}, {@code ::}) is not reachable as
 * such and gets, in this order: the config's {@code advertise} entry of the same transport; the
 * local address of the interface that routes to the resource manager's host (the local end of a
 * connected UDP socket: the kernel picks the route, no packet is sent); without a resource
 * manager, the host's first non-loopback address; last, loopback, with a warning.
 *
 * <p>Threads: stateless; called once at start and at each registration.
 */
final class AdvertisedAddress {
    private static final Logger LOG = LoggerFactory.getLogger(AdvertisedAddress.class);

    private AdvertisedAddress() {
    }

    /**
     * What to advertise for each of {@code bound}.
     *
     * @param overrides the config's {@code advertise} list: used as they are, by transport
     * @param routeTarget the resource manager's host, or {@code null} without one
     */
    static List<String> of(List<String> bound, List<String> overrides, InetAddress routeTarget) {
        List<String> out = new ArrayList<>();
        InetAddress picked = null;
        for (String address : bound) {
            String override = overrides.stream()
                    .filter(o -> Transports.transportOf(o).equals(Transports.transportOf(address))).findFirst()
                    .orElse(null);
            if (override != null) {
                out.add(override);
            } else if (isWildcard(address)) {
                if (picked == null) {
                    picked = pick(routeTarget);
                }
                out.add(withHost(address, picked.getHostAddress()));
            } else {
                out.add(address);
            }
        }
        return List.copyOf(out);
    }

    /** The local address to advertise: see the class comment. */
    static InetAddress pick(InetAddress routeTarget) {
        if (routeTarget != null) {
            InetAddress local = routeTo(routeTarget);
            if (local != null) {
                return local;
            }
            LOG.warn("no route to the resource manager's host {}; advertising another local address", routeTarget);
        }
        InetAddress first = firstNonLoopback();
        if (first != null) {
            return first;
        }
        LOG.warn("this host has no address but loopback: advertising 127.0.0.1, reachable from this host only");
        return InetAddress.getLoopbackAddress();
    }

    /** The local address of the interface that routes to {@code target}; {@code null} when none does. */
    static InetAddress routeTo(InetAddress target) {
        try {
            return Routes.sourceAddressTowards(target, 9).orElse(null);
        } catch (IOException e) {
            LOG.debug("no route to {}: {}", target, e.toString());
            return null;
        }
    }

    /** The first address of an interface that is up and not loopback, IPv4 first; {@code null} when none. */
    static InetAddress firstNonLoopback() {
        InetAddress v6 = null;
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp() || nic.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress()) {
                        continue;
                    }
                    if (a instanceof Inet4Address) {
                        return a;
                    }
                    if (v6 == null) {
                        v6 = a;
                    }
                }
            }
        } catch (SocketException e) {
            LOG.debug("cannot list the network interfaces: {}", e.toString());
        }
        return v6;
    }

    /** Whether {@code address} ({@code tcp://H:P}, {@code fabric:tcp://H:P}) is bound to the wildcard host. */
    static boolean isWildcard(String address) {
        String host = Transports.hostOf(address);
        return host != null && (host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0"));
    }

    /** {@code address} with another host. */
    static String withHost(String address, String host) {
        int start = address.indexOf("://");
        int end = address.lastIndexOf(':');
        if (start < 0 || end <= start + 3) {
            return address;
        }
        String h = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
        return address.substring(0, start + 3) + h + address.substring(end);
    }

    /** The host of the resource manager's URL, resolved; {@code null} when there is none or it does not resolve. */
    static InetAddress hostOf(java.net.URI url) {
        if (url == null || url.getHost() == null) {
            return null;
        }
        try {
            return InetAddress.getByName(url.getHost());
        } catch (IOException e) {
            LOG.warn("cannot resolve the resource manager's host {}: {}", url.getHost(), e.toString());
            return null;
        }
    }
}
