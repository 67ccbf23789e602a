package org.rfaas.rmclient.rpc;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.rfaas.rmclient.ApiError;
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
    private final InetSocketAddress address;
    private final String credential;
    private final String tenant;
    private final int timeoutMillis;
    private final LeaseRpc.Writer out = new LeaseRpc.Writer();
    private final LeaseRpc.Reader in = new LeaseRpc.Reader();
    private final String requestIds = "r" + Long.toString(new SecureRandom().nextLong() >>> 1, 36) + "-";
    private final AtomicLong requestCounter = new AtomicLong();
    private SocketChannel channel;

    /**
     * A client for {@code tenant} at {@code host:port}, authenticated by the tenant's API key (or
     * the admin token, which leases for the tenant named); connects at the first call.
     *
     * @param timeoutMillis how long a connection attempt may take
     */
    public LeaseRpcClient(String host, int port, String credential, String tenant, int timeoutMillis) {
        this.address = new InetSocketAddress(host, port);
        this.credential = credential;
        this.tenant = tenant;
        this.timeoutMillis = timeoutMillis;
    }

    /** {@code rfaas-lease://host:port} → host and port; the form the resource manager prints. */
    public static LeaseRpcClient of(String uri, String credential, String tenant) {
        String prefix = "rfaas-lease://";
        if (!uri.startsWith(prefix)) {
            throw new IllegalArgumentException("lease endpoint must be rfaas-lease://host:port, got " + uri);
        }
        String rest = uri.substring(prefix.length());
        int colon = rest.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("lease endpoint must be rfaas-lease://host:port, got " + uri);
        }
        return new LeaseRpcClient(rest.substring(0, colon), Integer.parseInt(rest.substring(colon + 1)), credential, tenant,
                5_000);
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

    /**
     * Sends a request and reads its answer; a connection that fails before the answer (closed by
     * an idle timeout, a restarted resource manager) is replaced and the request sent once more.
     */
    private <T> T exchange(Step request, byte expected, Answer<T> answer) {
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
        SocketChannel c = SocketChannel.open();
        try {
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            c.socket().connect(address, timeoutMillis);
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
