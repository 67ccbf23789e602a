package org.rfaas.rmclient.rpc;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.rfaas.rmclient.ApiError;
import org.rfaas.rmclient.Failover;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.LeaseRequest;
import org.rfaas.rmclient.ResourceManagerException;

/**
 * A client of the resource manager's binary lease endpoint ({@link LeaseRpc}): lease grant and
 * release in one TCP round trip each, over one connection kept open, authenticated once by its
 * HELLO. For callers that lease at a high rate (each MPI rank of a large job); everything else
 * (renewal, batches, nodes, billing) stays on the HTTP API ({@link org.rfaas.rmclient.ResourceManagerClient}).
 *
 * <p>One call at a time (calls are serialised on this object); use one client per thread for
 * parallel leasing. Like the HTTP client, every grant carries a request id, so a grant resent on
 * a new connection after a lost answer is answered with the lease it already got.
 */
public final class LeaseRpcClient implements AutoCloseable {
    /** How long a call tries the other resource managers (one unreachable or a standby) before it fails. */
    static final long FAILOVER_MILLIS = 10_000;
    private final List<InetSocketAddress> addresses;
    /** The resource manager that served last (the connection's, when one is open). */
    private int current;
    private final String credential;
    private final String tenant;
    private final int timeoutMillis;
    private final LeaseRpc.Writer out = new LeaseRpc.Writer();
    private final LeaseRpc.Reader in = new LeaseRpc.Reader();
    private final String requestIds = "r" + Long.toString(new SecureRandom().nextLong() >>> 1, 36) + "-";
    private final AtomicLong requestCounter = new AtomicLong();
    private SocketChannel channel;

    /**
     * A client for {@code tenant} of the resource managers at {@code addresses} (one, or several
     * on one database: a call goes on at the next while one is unreachable or a standby),
     * authenticated by the tenant's API key (or the admin token, which leases for the tenant
     * named); connects at the first call.
     *
     * @param timeoutMillis how long a connection attempt may take
     */
    public LeaseRpcClient(List<InetSocketAddress> addresses, String credential, String tenant, int timeoutMillis) {
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("no lease endpoint");
        }
        this.addresses = List.copyOf(addresses);
        this.credential = credential;
        this.tenant = tenant;
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * {@code rfaas-lease://host:port} (the form the resource manager prints), or
     * {@code rfaas-lease://rm1:8091,rm2:8091} for several resource managers.
     */
    public static LeaseRpcClient of(String uri, String credential, String tenant) {
        String prefix = "rfaas-lease://";
        if (uri == null || !uri.startsWith(prefix)) {
            throw new IllegalArgumentException("lease endpoint must be rfaas-lease://host:port, got " + uri);
        }
        List<InetSocketAddress> out = new ArrayList<>();
        for (String hostPort : uri.substring(prefix.length()).split(",", -1)) {
            int colon = hostPort.lastIndexOf(':');
            int port;
            try {
                port = colon <= 0 ? -1 : Integer.parseInt(hostPort.substring(colon + 1).trim());
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("lease endpoint must be rfaas-lease://host:port[,host:port...], got " + uri);
            }
            out.add(InetSocketAddress.createUnresolved(hostPort.substring(0, colon).trim(), port));
        }
        return new LeaseRpcClient(out, credential, tenant, 5_000);
    }

    /**
     * Asks for a lease ({@code request}'s tenant must be this client's); a request without a
     * request id gets a fresh one.
     *
     * @throws org.rfaas.rmclient.LeaseRefusedException when no node has the capacity or the quota is used up
     */
    public synchronized LeaseGrant requestLease(LeaseRequest request) {
        String id = request.requestId() != null ? request.requestId()
                : requestIds + Long.toString(requestCounter.incrementAndGet(), 36);
        LeaseRpc.Grant grant = new LeaseRpc.Grant(request.cores(), request.memoryMiB(), request.durationMillis(),
                request.placement(), id);
        return exchange(() -> grant.write(out), LeaseRpc.GRANTED, () -> LeaseRpc.readGranted(in));
    }

    /** Releases a lease; answers its state afterwards ({@code RELEASED}, or how it had ended before). */
    public synchronized String releaseLease(LeaseGrant grant) {
        LeaseRpc.Release release = new LeaseRpc.Release(grant.leaseId(), grant.token());
        return exchange(() -> release.write(out), LeaseRpc.RELEASED, () -> {
            LeaseRpc.Released r = LeaseRpc.Released.read(in);
            if (r.leaseId() != grant.leaseId()) {
                throw new LeaseRpc.MalformedFrameException("answer for lease " + r.leaseId() + ", asked for " + grant.leaseId());
            }
            return r.state();
        });
    }

    private interface Step {
        LeaseRpc.Writer run() throws IOException;
    }

    private interface Answer<T> {
        T read() throws IOException;
    }

    /** Sends a request to the resource manager that serves ({@link Failover}: a refusal from it is final). */
    private <T> T exchange(Step request, byte expected, Answer<T> answer) {
        return Failover.call(addresses.size(), current, FAILOVER_MILLIS * 1_000_000L, k -> {
            if (k != current) {
                closeChannel();
                current = k;
            }
            try {
                return exchangeOnce(request, expected, answer);
            } catch (ResourceManagerException e) {
                if (e.status() == 0 || e.status() == 503) {
                    closeChannel(); // a standby's connection: try it afresh next round
                }
                throw e;
            }
        });
    }

    /**
     * Sends a request to the current resource manager and reads its answer; a connection that
     * fails before the answer (closed by an idle timeout, a restarted resource manager) is replaced
     * and the request sent once more.
     */
    private <T> T exchangeOnce(Step request, byte expected, Answer<T> answer) {
        InetSocketAddress address = addresses.get(current);
        IOException failure = null;
        for (int attempt = 0; attempt < 2; attempt++) {
            boolean fresh = channel == null;
            try {
                connectIfNeeded();
                request.run();
                out.send(channel);
                byte type = in.next(channel);
                if (type == LeaseRpc.ERROR) {
                    throw error();
                }
                if (type != expected) {
                    throw new LeaseRpc.MalformedFrameException("answer of type " + type + " to a request expecting " + expected);
                }
                return answer.read();
            } catch (LeaseRpc.MalformedFrameException e) {
                closeChannel();
                throw new ResourceManagerException(0, ApiError.INTERNAL, "lease endpoint " + address + ": " + e.getMessage());
            } catch (IOException e) {
                closeChannel();
                failure = e;
                if (fresh) {
                    break; // a new connection that fails is not an idle one gone stale
                }
            }
        }
        throw new ResourceManagerException("lease endpoint " + address + " unreachable: " + failure, failure);
    }

    private ResourceManagerException error() throws IOException {
        LeaseRpc.ErrorAnswer e = LeaseRpc.ErrorAnswer.read(in);
        return ResourceManagerException.of(e.status(), e.code(), e.message());
    }

    private void connectIfNeeded() throws IOException {
        if (channel != null) {
            return;
        }
        InetSocketAddress unresolved = addresses.get(current);
        SocketChannel c = SocketChannel.open();
        try {
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            c.socket().connect(new InetSocketAddress(unresolved.getHostString(), unresolved.getPort()), timeoutMillis);
            new LeaseRpc.Hello(LeaseRpc.VERSION, credential, tenant).write(out).send(c);
            byte type = in.next(c);
            if (type == LeaseRpc.ERROR) {
                throw error();
            }
            if (type != LeaseRpc.WELCOME) {
                throw new LeaseRpc.MalformedFrameException("answer of type " + type + " to HELLO");
            }
            LeaseRpc.readWelcome(in);
            channel = c;
        } finally {
            if (channel != c) {
                c.close();
            }
        }
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // closing anyway
            }
            channel = null;
        }
    }

    @Override
    public synchronized void close() {
        closeChannel();
    }
}
