package org.rfaas.transport.fabric;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code fabric:<provider>} transport: libfabric FI_EP_RDM endpoints, with a plain TCP socket
 * per connection for the handshake and liveness. Addresses look like
 * {@code fabric:tcp://127.0.0.1:7000}: host and port of that socket.
 *
 * <p>Socket-address providers (tcp, verbs, sockets) bind their endpoints to the local interface
 * that the out-of-band socket uses to reach the peer, so traffic to a loopback listener stays on
 * loopback and traffic across a cluster uses the NIC that routes there. One libfabric domain is
 * opened per such interface and shared by its connections.
 */
final class FabricTransport implements Transport {
    private static final Logger LOG = LoggerFactory.getLogger(FabricTransport.class);
    private final String variant;
    private final FabricDomain defaultDomain;
    private final Map<String, FabricDomain> domains = new HashMap<>();
    private final Set<FabricConnection> connections = ConcurrentHashMap.newKeySet();
    private final Set<FabricListener> listeners = ConcurrentHashMap.newKeySet();
    private final AtomicLong mrKeys = new AtomicLong(1);
    private final FabricContext context;
    private volatile boolean closed;

    FabricTransport(String variant, FabricContext context) {
        if (variant.isBlank()) {
            throw new TransportException(
                    "name a libfabric provider: fabric:tcp, fabric:shm, fabric:verbs, fabric:efa, fabric:cxi, fabric:sockets");
        }
        this.variant = variant;
        this.context = context;
        if (variant.equals("shm")) {
            StaleShmRegions.sweepIfEnabled(context);
        }
        // Fails fast, with the install hint, when libfabric or the provider is missing.
        this.defaultDomain = FabricDomain.open(variant, null, context);
    }

    @Override
    public String name() {
        return "fabric:" + variant;
    }

    /** What the provider offers and which data path connections use. */
    FabricCapabilities capabilities() {
        return defaultDomain.caps;
    }

    /** The tunables, read once when the transport opened. */
    FabricContext context() {
        return context;
    }

    long nextMrKey() {
        return mrKeys.getAndIncrement();
    }

    /** The domain for endpoints that talk through {@code localAddress}. */
    synchronized FabricDomain domainFor(InetAddress localAddress) {
        if (closed) {
            throw new TransportException(name() + " is closed");
        }
        if (!defaultDomain.socketAddresses) {
            return defaultDomain;
        }
        String node = localAddress.getHostAddress();
        return domains.computeIfAbsent(node, n -> FabricDomain.open(variant, n, context));
    }

    /**
     * Counts one more ({@code delta} +1) or one fewer (-1) kept endpoint of the kind connections
     * with {@code local} use, in the pool of the domain of {@code localAddress}; nothing for a
     * wildcard address of a socket-address provider (its domain is known only per connection).
     */
    void prepared(InetAddress localAddress, ConnectionSpec local, int delta, boolean listener) {
        if (defaultDomain.socketAddresses && localAddress.isAnyLocalAddress()) {
            return;
        }
        try {
            FabricDomain d = domainFor(localAddress);
            FabricCapabilities.WarmWait w = d.caps.warmWaitMode();
            boolean sread = w == FabricCapabilities.WarmWait.CQ;
            boolean wake = w == FabricCapabilities.WarmWait.ENDPOINT;
            long cq = PreparedEndpoint.rxCqSize(local.slots());
            if (listener) {
                d.pool.listener(sread, wake, cq, delta);
            } else {
                d.pool.keep(sread, wake, cq, delta);
            }
        } catch (RuntimeException e) {
            // Closed, or no domain there: only an optimisation is lost; connections say what is wrong.
            LOG.debug("no endpoints prepared ahead for {} at {}: {}", name(), localAddress, e.toString());
        }
    }

    /**
     * Keeps {@code count} endpoints for connections like {@code local} made from {@code localHost}
     * (a numeric address) opened ahead of time: {@code fi_enable} of an {@code ofi_rxm} endpoint
     * takes tens of milliseconds, which a spare's lease would otherwise wait for.
     */
    @Override
    public void keepPrepared(String localHost, ConnectionSpec local, int count) {
        InetAddress a;
        try {
            a = InetAddress.ofLiteral(localHost);
        } catch (IllegalArgumentException e) {
            return; // a host name: not resolved here, the hint is dropped
        }
        prepared(a, local, count, false);
    }

    /** Parses {@code fabric:<variant>://host:port} (or {@code host:port}). */
    InetSocketAddress parse(String address) {
        String rest = address;
        String prefix = name() + "://";
        if (rest.startsWith(prefix)) {
            rest = rest.substring(prefix.length());
        } else if (rest.contains("://")) {
            throw new TransportException("address '" + address + "' is not a " + name() + " address (" + prefix
                    + "host:port)");
        }
        int colon = rest.lastIndexOf(':');
        if (colon <= 0) {
            throw new TransportException("address '" + address + "' has no port; use " + prefix + "host:port");
        }
        String host = rest.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(rest.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new TransportException("address '" + address + "' has a bad port");
        }
        if (port < 0 || port > 65535) {
            throw new TransportException("address '" + address + "' has a port outside 0..65535");
        }
        return new InetSocketAddress(host, port);
    }

    String format(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return name() + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    @Override
    public Listener listen(String address, ConnectionSpec local) {
        FabricListener l = new FabricListener(this, parse(address), local);
        listeners.add(l);
        return l;
    }

    @Override
    public Connection connect(String address, ConnectionSpec local, Duration timeout) {
        InetSocketAddress target = parse(address);
        if (target.isUnresolved()) {
            throw new TransportException("cannot resolve host of " + address);
        }
        Socket s = new Socket();
        try {
            long ms = Math.max(1, timeout.toMillis());
            s.setTcpNoDelay(true);
            s.connect(target, (int) Math.min(Integer.MAX_VALUE, ms));
            s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, ms));
            FabricConnection c = FabricConnection.connect(this, domainFor(s.getLocalAddress()), local, s);
            connections.add(c);
            return c;
        } catch (SocketTimeoutException e) {
            close(s);
            throw new TransportException("no answer from " + address + " within " + timeout, e);
        } catch (IOException e) {
            close(s);
            throw new PeerFailedException("cannot connect to " + address + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close(s);
            throw e;
        }
    }

    void accepted(FabricConnection c) {
        connections.add(c);
    }

    void forget(FabricConnection c) {
        connections.remove(c);
    }

    void forget(FabricListener l) {
        listeners.remove(l);
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already failing; the original error is what the caller needs
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (FabricListener l : listeners) {
            l.close();
        }
        for (FabricConnection c : connections) {
            c.close();
        }
        synchronized (this) {
            for (FabricDomain d : domains.values()) {
                d.close();
            }
            domains.clear();
            defaultDomain.close();
        }
    }

    @Override
    public String toString() {
        return name();
    }
}
