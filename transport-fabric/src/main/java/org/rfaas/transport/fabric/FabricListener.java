package org.rfaas.transport.fabric;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.PendingHandshakes;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens on a plain TCP socket for the out-of-band handshake; each accepted socket becomes one
 * fabric connection with its own endpoint. HELLOs are read side by side as their bytes arrive,
 * so a silent, slow or garbling peer holds up no other; only a complete, well-formed HELLO gets an
 * endpoint opened for it, and the rest of its handshake (WELCOME, warm-up) runs on a thread of its
 * own, so a peer that stops after its HELLO holds up no other either. A malformed handshake closes
 * only that socket.
 */
final class FabricListener implements Listener {
    private static final Logger LOG = LoggerFactory.getLogger(FabricListener.class);
    /** Longest wait for a connector's HELLO once its socket is accepted. */
    private static final long HANDSHAKE_TIMEOUT_MS = 5_000;
    /**
     * Most unfinished HELLOs kept at once: a flood of silent connections costs at most this many
     * sockets and 1.2 KiB buffers, and pushes out its own oldest.
     */
    static final int MAX_PENDING = 256;
    /** Most unfinished HELLOs from one address: a flood from one host leaves the others room. */
    static final int MAX_PENDING_PER_SOURCE = 32;
    /**
     * Most handshakes past their HELLO finishing at once (each holds an endpoint while it sends its
     * WELCOME and waits for the peer's warm-up message); further whole HELLOs wait their turn.
     */
    static final int MAX_COMPLETING = 32;

    private final FabricTransport transport;
    private final ConnectionSpec local;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final String address;
    private final InetAddress bindAddress;
    private volatile boolean closed;
    /** Accepted sockets still sending their HELLO, oldest first; guarded by itself (accept and close). */
    private final PendingHandshakes<PendingHello> pending = new PendingHandshakes<>(MAX_PENDING, MAX_PENDING_PER_SOURCE,
            p -> p.source);
    /**
     * Handshakes finished past their HELLO, on threads of their own: a {@link Connection}, or the
     * {@link RuntimeException} that peer's handshake ended in. A peer with a valid HELLO that never
     * warms up holds only its own thread, not the accept loop.
     */
    private final LinkedBlockingQueue<Object> completed = new LinkedBlockingQueue<>();
    private final AtomicInteger completing = new AtomicInteger();

    FabricListener(FabricTransport transport, InetSocketAddress bind, ConnectionSpec local) {
        this.transport = transport;
        this.local = local;
        ServerSocketChannel s = null;
        try {
            s = ServerSocketChannel.open();
            s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            s.bind(bind, 128);
            s.configureBlocking(false);
            selector = Selector.open();
            s.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException e) {
            closeQuietly(s);
            throw new TransportException("cannot listen on " + transport.format(bind) + ": " + e.getMessage(), e);
        }
        this.server = s;
        this.address = transport.format(new InetSocketAddress(bind.getAddress(), s.socket().getLocalPort()));
        this.bindAddress = bind.getAddress();
        // One endpoint ready for the next connector: a handshake need not wait for fi_enable.
        transport.prepared(bindAddress, local, 1, true);
    }

    @Override
    public String address() {
        return address;
    }

    /**
     * Takes in every waiting socket and every HELLO byte that has arrived, and completes the
     * handshake of the first peer whose HELLO is whole. A peer that sends nothing, or a byte at a
     * time, is dropped at its own deadline; beyond {@link #MAX_PENDING} (or
     * {@link #MAX_PENDING_PER_SOURCE} from one address) unfinished HELLOs the oldest is dropped.
     */
    @Override
    public Connection accept(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                if (closed) {
                    throw new TransportException("listener " + address + " is closed");
                }
                Object finished = completed.poll();
                if (finished != null) {
                    return connectionOrThrow(finished);
                }
                long now = System.nanoTime();
                long wakeAt = deadline;
                PendingHello done;
                synchronized (pending) {
                    takeInSockets(now);
                    done = completing.get() < MAX_COMPLETING ? progressHellos(now) : null;
                    for (PendingHello p : pending) {
                        wakeAt = Math.min(wakeAt, p.deadline);
                    }
                }
                if (done != null) {
                    finishInBackground(done);
                    continue;
                }
                if (deadline - now <= 0) {
                    return null;
                }
                // bounded waits so that close() from another thread is noticed
                selector.select(Math.max(1, Math.min((wakeAt - now + 999_999) / 1_000_000, 200)));
                selector.selectedKeys().clear();
            }
        } catch (ClosedSelectorException | IOException e) {
            if (closed) {
                throw new TransportException("listener " + address + " was closed while accepting");
            }
            throw new TransportException("listener " + address + " failed: " + e.getMessage(), e);
        }
    }

    /** Accepts every socket waiting in the backlog into {@link #pending}. Lock on pending held. */
    private void takeInSockets(long now) throws IOException {
        SocketChannel ch;
        while ((ch = server.accept()) != null) {
            InetAddress source = ((InetSocketAddress) ch.getRemoteAddress()).getAddress();
            ch.configureBlocking(false);
            SelectionKey key = ch.register(selector, SelectionKey.OP_READ);
            PendingHello out = pending.add(new PendingHello(ch, key, source, now + HANDSHAKE_TIMEOUT_MS * 1_000_000L));
            if (out != null) {
                drop(out, "was the oldest of the unfinished handshakes (" + MAX_PENDING + " in all, "
                        + MAX_PENDING_PER_SOURCE + " per address)");
            }
        }
    }

    /**
     * Reads what each pending peer has sent; drops those that closed, broke the format or ran
     * out of time. Returns (and removes) the first whose HELLO is whole, or null. Lock on pending held.
     */
    private PendingHello progressHellos(long now) {
        for (var it = pending.iterator(); it.hasNext();) {
            PendingHello p = it.next();
            try {
                if (p.readsWholeHello()) {
                    it.remove();
                    p.key.cancel();
                    return p;
                }
                if (now - p.deadline >= 0) {
                    throw new ProtocolException(ProtocolError.TRUNCATED, "fabric peer " + p.source + " sent "
                            + p.buffer.position() + " HELLO bytes within " + HANDSHAKE_TIMEOUT_MS + " ms");
                }
            } catch (ProtocolException e) {
                it.remove();
                drop(p, e.getMessage());
                throw e; // the caller learns of it as of any rejected peer; the others stay for its next call
            } catch (IOException e) {
                it.remove();
                drop(p, "failed: " + e);
                throw new ProtocolException(ProtocolError.TRUNCATED, "fabric peer " + p.source
                        + " failed during the handshake: " + e.getMessage());
            }
        }
        return null;
    }

    /** Finishes {@code p}'s handshake on a thread of its own; its outcome goes to {@link #completed}. */
    private void finishInBackground(PendingHello p) throws IOException {
        selector.selectNow(); // deregisters the cancelled key, so that the channel may block
        completing.incrementAndGet();
        Thread.ofPlatform().daemon().name("rfaas-fabric-handshake").start(() -> {
            Object outcome;
            try {
                outcome = handshake(p);
            } catch (IOException e) {
                outcome = new ProtocolException(ProtocolError.TRUNCATED, "connection from " + p.source
                        + " failed during the handshake: " + e.getMessage());
            } catch (RuntimeException e) {
                outcome = e;
            }
            synchronized (completed) {
                if (closed && outcome instanceof Connection c) {
                    c.close(); // nobody will accept it
                } else {
                    completed.add(outcome);
                }
                completing.decrementAndGet();
            }
            selector.wakeup();
        });
    }

    private static Connection connectionOrThrow(Object outcome) {
        if (outcome instanceof Connection c) {
            return c;
        }
        throw (RuntimeException) outcome;
    }

    /** The peer's HELLO is whole: open an endpoint for it and finish the handshake on a blocking socket. */
    private Connection handshake(PendingHello p) throws IOException {
        p.channel.configureBlocking(true);
        Socket s = p.channel.socket();
        byte[] hello = Arrays.copyOf(p.buffer.array(), p.buffer.position());
        try {
            s.setTcpNoDelay(true);
            s.setSoTimeout((int) HANDSHAKE_TIMEOUT_MS);
            FabricConnection c = FabricConnection.accept(transport, transport.domainFor(s.getLocalAddress()), local, s,
                    hello);
            transport.accepted(c);
            return c;
        } catch (ProtocolException e) {
            closeQuietly(p.channel);
            throw e;
        } catch (PeerFailedException e) {
            // The peer went away (or stopped answering) mid-handshake: only that connection failed,
            // the listener keeps serving, so it is reported the way the Listener contract says.
            closeQuietly(p.channel);
            throw new ProtocolException(ProtocolError.TRUNCATED, "connection from " + p.source
                    + " failed during the handshake: " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            closeQuietly(p.channel);
            throw e;
        }
    }

    private void drop(PendingHello p, String why) {
        p.key.cancel();
        closeQuietly(p.channel);
        LOG.debug("dropped a fabric handshake from {} on {}: it {}", p.source, address, why);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // the handshake error is what matters
        }
    }

    /** An accepted socket whose HELLO is still arriving: its header first, then as much body as it announces. */
    private static final class PendingHello {
        final SocketChannel channel;
        final SelectionKey key;
        final InetAddress source;
        final long deadline;
        final ByteBuffer buffer = ByteBuffer.allocate(Hello.MAX_LENGTH).limit(Hello.HEADER);
        /** Whether the header has been validated and the buffer's limit is the HELLO's length. */
        private boolean lengthKnown;

        PendingHello(SocketChannel channel, SelectionKey key, InetAddress source, long deadline) {
            this.channel = channel;
            this.key = key;
            this.source = source;
            this.deadline = deadline;
        }

        /** Reads what has arrived; true when the whole HELLO is in {@link #buffer}. */
        boolean readsWholeHello() throws IOException {
            while (true) {
                int n = channel.read(buffer);
                if (n < 0) {
                    throw new ProtocolException(ProtocolError.TRUNCATED, "fabric peer " + source
                            + " closed the connection after " + buffer.position() + " HELLO bytes");
                }
                if (buffer.hasRemaining()) {
                    return false;
                }
                if (lengthKnown) {
                    return true;
                }
                // the header is in: it says how long the whole HELLO is (validated before any body byte is read)
                buffer.limit(new Hello().wrap(MemorySegment.ofArray(buffer.array())).validateHeader(Hello.TYPE_HELLO));
                lengthKnown = true;
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        transport.forget(this);
        transport.prepared(bindAddress, local, -1, true);
        selector.wakeup();
        synchronized (pending) {
            for (PendingHello p : pending.clear()) {
                closeQuietly(p.channel);
            }
        }
        synchronized (completed) {
            for (Object o : completed) {
                if (o instanceof Connection c) {
                    c.close();
                }
            }
            completed.clear();
        }
        closeQuietly(selector);
        try {
            server.close();
        } catch (IOException e) {
            throw new TransportException("closing listener " + address + ": " + e.getMessage(), e);
        }
    }
}
