package org.rfaas.transport.shm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.CounterScope;
import org.rfaas.transport.Listener;
import org.rfaas.transport.PendingHandshakes;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An shm listening endpoint: a Unix-domain server socket. For each peer it creates the shared
 * file, maps it, announces it in the {@link ShmHandshake#WELCOME} and unlinks it as soon as the
 * peer confirms it mapped it (or the handshake fails).
 *
 * <p>While {@link #accept} waits with no handshake under way, it makes the next peer's file ahead
 * (the size of the last connection's, which the next peer of a lease or a pool usually asks for),
 * so that a HELLO is answered without creating, sizing and mapping a file (0.35 → 0.14 ms from
 * HELLO to WELCOME in a cold start here). That one file, sparse and named to no peer yet, lives
 * until a peer takes it or the listener closes; a HELLO whose layout has another size gets a file
 * of its own.
 *
 * <p>With {@link CounterScope#LISTENER} (and at least one counter) the listener also creates one
 * counters file at start, announces it to every connector in a {@link ShmHandshake#COUNTERS}
 * message, and unlinks it when it closes: all peers' fetch-and-adds are atomic {@code lock xadd}s
 * on that one file's pages, so they are atomic across processes. Its own mapping lives in an
 * automatic arena, because accepted connections (and {@link #localCounter}) outlive the listener.
 */
final class ShmListener implements Listener {
    private final ShmTransport transport;
    private final ConnectionSpec local;
    private final Path path;
    /** The private directory made for an {@code shm:} address without path, removed at close. */
    private final Path ownDirectory;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final CounterScope scope;
    /** The shared counters file, or {@code null} (per-connection counters, or none at all). */
    private final Path countersFile;
    /** The counters in {@link #countersFile}, or {@code null}. */
    private final MemorySegment sharedCounters;
    private volatile boolean closed;
    /** The next peer's shared file, made while accept waited; or null. Guarded by {@link #pending}. */
    private PreparedFile prepared;
    /** The size of the last connection's shared file: what to prepare (0: nothing). Guarded by {@link #pending}. */
    private long nextFileSize;
    /**
     * Most unfinished handshakes kept at once: a flood of silent peers costs at most this many
     * sockets and small buffers (and, past HELLO, shared files), and pushes out its own oldest.
     */
    static final int MAX_PENDING = 256;
    /** The one source of every peer: a local process (the socket is a file). */
    private static final String LOCAL = "local";
    private static final Logger LOG = LoggerFactory.getLogger(ShmListener.class);
    /** Accepted peers still handshaking, oldest first; guarded by itself (accept and close). */
    private final PendingHandshakes<PendingPeer> pending = new PendingHandshakes<>(MAX_PENDING, MAX_PENDING,
            p -> LOCAL);

    ShmListener(ShmTransport transport, Path requested, ConnectionSpec local, CounterScope scope) {
        this.transport = transport;
        this.local = local;
        this.scope = scope;
        try {
            if (requested == null) {
                ownDirectory = Files.createTempDirectory("rfaas-shm-");
                path = ownDirectory.resolve("listener.sock");
            } else {
                ownDirectory = null;
                path = requested;
            }
        } catch (IOException e) {
            throw new TransportException("cannot create a directory for the shm listener socket: " + e, e);
        }
        ServerSocketChannel s = null;
        Selector sel = null;
        try {
            s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            s.bind(UnixDomainSocketAddress.of(path));
            s.configureBlocking(false);
            sel = Selector.open();
            s.register(sel, SelectionKey.OP_ACCEPT);
        } catch (IOException e) {
            ShmTransport.closeQuietly(s);
            ShmTransport.closeQuietly(sel);
            removeFiles(s != null && s.isOpen());
            throw new TransportException("cannot listen on shm:" + path + " (" + e + "); if a stale socket file "
                    + "is left from a dead process, delete it", e);
        }
        server = s;
        selector = sel;
        if (scope == CounterScope.LISTENER && local.counters() > 0) {
            long size = ShmLayout.countersFileSize(local.counters());
            Path file = null;
            try {
                file = ShmFiles.create(size);
                MemorySegment map = ShmFiles.map(file, size, Arena.ofAuto());
                ShmLayout.writeCountersHeader(map, local.counters());
                sharedCounters = map.asSlice(ShmLayout.SHARED_COUNTERS_OFFSET, 8L * local.counters());
                countersFile = file;
            } catch (IOException | RuntimeException e) {
                if (file != null) {
                    ShmFiles.unlink(file);
                }
                ShmTransport.closeQuietly(server);
                ShmTransport.closeQuietly(selector);
                removeFiles(true);
                throw new TransportException("cannot create the shared counters file of shm listener " + path
                        + ": " + e.getMessage(), e);
            }
        } else {
            sharedCounters = null;
            countersFile = null;
        }
    }

    @Override
    public String address() {
        return "shm:" + path;
    }

    /**
     * Takes in every waiting peer and every handshake byte that has arrived, and returns the first
     * peer whose handshake is complete. Handshakes proceed side by side: a peer that sends nothing,
     * or a byte at a time, holds up no other; it is dropped at its own deadline, and beyond
     * {@link #MAX_PENDING} unfinished handshakes the oldest is dropped. A peer that breaks the
     * protocol is answered with a REJECT and reported as a {@link ProtocolException}; the others
     * stay for the next call.
     */
    @Override
    public Connection accept(Duration timeout) {
        long deadline = System.nanoTime() + ShmTransport.cappedNanos(timeout);
        try {
            while (true) {
                if (closed) {
                    throw new TransportException("shm listener " + path + " is closed");
                }
                long now = System.nanoTime();
                long wakeAt = deadline;
                synchronized (pending) {
                    takeInPeers(now);
                    Connection done = progressHandshakes(now);
                    if (done != null) {
                        return done;
                    }
                    for (PendingPeer p : pending) {
                        wakeAt = Math.min(wakeAt, p.deadline);
                    }
                    if (pending.size() == 0 && deadline - now > 0) {
                        prepareNextFile(); // about to wait with nothing else to do
                    }
                }
                if (deadline - now <= 0) {
                    return null;
                }
                // Bounded waits so that close() from another thread is noticed.
                selector.select(Math.max(1, Math.min((wakeAt - now + 999_999) / 1_000_000, 200)));
                selector.selectedKeys().clear();
            }
        } catch (IOException | ClosedSelectorException e) {
            if (closed) {
                throw new TransportException("shm listener " + path + " is closed", e);
            }
            throw new TransportException("shm listener " + path + " failed: " + e, e);
        }
    }

    /** Accepts every peer waiting in the backlog into {@link #pending}. Lock on pending held. */
    private void takeInPeers(long now) throws IOException {
        SocketChannel ch;
        while ((ch = server.accept()) != null) {
            ch.configureBlocking(false);
            SelectionKey key = ch.register(selector, SelectionKey.OP_READ);
            PendingPeer oldest = pending.add(new PendingPeer(ch, key, now + ShmTransport.HANDSHAKE_TIMEOUT.toNanos()));
            if (oldest != null) {
                LOG.debug("dropped an shm handshake on {}: the oldest of {} unfinished", path, MAX_PENDING);
                oldest.abandon();
            }
        }
    }

    /**
     * Reads what each pending peer has sent and moves its handshake on; returns the first peer
     * whose handshake completed, or null. Lock on pending held.
     */
    private Connection progressHandshakes(long now) {
        for (var it = pending.iterator(); it.hasNext();) {
            PendingPeer p = it.next();
            try {
                if (now - p.deadline >= 0) {
                    throw new ProtocolException(ProtocolError.TRUNCATED, "shm peer sent " + p.reader.received()
                            + " bytes of its " + ShmHandshake.name(p.reader == p.helloReader ? ShmHandshake.HELLO
                                    : ShmHandshake.MAPPED) + " within the handshake timeout");
                }
                ShmHandshake.Message m = p.reader.poll(p.channel);
                if (m == null) {
                    continue;
                }
                if (p.reader == p.helloReader) {
                    welcome(p, m);
                    continue;
                }
                if (m.type() == ShmHandshake.REJECT) {
                    throw new ProtocolException(ProtocolError.ofCode(m.code()),
                            "shm connector rejected the mapping: " + m.text());
                }
                it.remove();
                p.key.cancel();
                return p.connect();
            } catch (ProtocolException e) {
                it.remove();
                ShmTransport.reject(p.channel, e);
                p.abandon();
                throw e;
            } catch (IOException e) {
                it.remove();
                p.abandon();
                throw new ProtocolException(ProtocolError.TRUNCATED, "shm handshake on " + path + " broke off: " + e);
            }
        }
        return null;
    }

    /** The peer's HELLO arrived: create and map the shared file, announce it, await MAPPED. */
    private void welcome(PendingPeer p, ShmHandshake.Message hello) throws IOException {
        if (hello.type() == ShmHandshake.REJECT) {
            throw new ProtocolException(ProtocolError.BAD_TYPE, "shm connector opened with a REJECT: " + hello.text());
        }
        ShmLayout layout = ShmLayout.of(local, hello.spec());
        PreparedFile ready = takePrepared(layout.totalSize());
        if (ready != null) {
            p.file = ready.file();
            p.arena = ready.arena();
            p.map = ready.map();
        } else {
            try {
                p.file = ShmFiles.create(layout.totalSize());
            } catch (TransportException e) {
                // Usually a spec too large for /dev/shm: the peer's request, not the listener, is at fault.
                throw new ProtocolException(ProtocolError.OVERSIZED, "shm connector's " + hello.spec()
                        + " cannot be served: " + e.getMessage());
            }
            p.arena = Arena.ofShared();
            p.map = ShmFiles.map(p.file, layout.totalSize(), p.arena);
        }
        p.layout = layout;
        layout.writeHeader(p.map);
        // A few hundred bytes into an empty socket buffer: these writes do not wait.
        if (countersFile == null) {
            ShmHandshake.send(p.channel, ShmHandshake.welcome(local, layout.totalSize(), p.file.toString()), p.deadline);
        } else {
            ShmHandshake.send(p.channel, ShmHandshake.welcome(local, layout.totalSize(), p.file.toString(),
                    ShmHandshake.FLAG_SHARED_COUNTERS), p.deadline);
            ShmHandshake.send(p.channel, ShmHandshake.counters(local.counters(),
                    ShmLayout.countersFileSize(local.counters()), countersFile.toString()), p.deadline);
        }
        p.reader = new ShmHandshake.Reader(ShmHandshake.MAPPED);
    }

    /**
     * Makes the next peer's shared file ahead, if a connection has set its size and none is
     * ready. A failure only costs the head start: the next HELLO makes its own file (and reports
     * what fails). Lock on pending held.
     */
    private void prepareNextFile() {
        if (prepared != null || nextFileSize == 0 || closed) {
            return; // closed: close() may have dropped the prepared file already
        }
        Path file = null;
        Arena arena = null;
        try {
            file = ShmFiles.create(nextFileSize);
            arena = Arena.ofShared();
            prepared = new PreparedFile(file, arena, ShmFiles.map(file, nextFileSize, arena));
        } catch (IOException | RuntimeException e) {
            nextFileSize = 0;
            LOG.debug("shm listener {}: cannot make the next shared file ahead: {}", path, e.toString());
            new PreparedFile(file, arena, null).discard();
        }
    }

    /** The prepared file if it has {@code size} bytes, else null (one of another size is dropped). Lock held. */
    private PreparedFile takePrepared(long size) {
        PreparedFile f = prepared;
        prepared = null;
        if (f != null && f.map().byteSize() != size) {
            f.discard();
            return null;
        }
        return f;
    }

    /** A shared file made and mapped ahead of its peer; not yet named to anyone. */
    private record PreparedFile(Path file, Arena arena, MemorySegment map) {
        /** Unlinks and unmaps what was made; the parts are null where the making failed. */
        void discard() {
            try {
                if (file != null) {
                    ShmFiles.unlink(file);
                }
            } finally {
                if (arena != null) {
                    arena.close();
                }
            }
        }
    }

    /**
     * An accepted peer whose handshake is unfinished: reading its HELLO, or (with the shared file
     * created, mapped and announced) its MAPPED.
     */
    private final class PendingPeer {
        final SocketChannel channel;
        final SelectionKey key;
        final long deadline;
        final ShmHandshake.Reader helloReader = new ShmHandshake.Reader(ShmHandshake.HELLO);
        ShmHandshake.Reader reader = helloReader;
        Path file;
        Arena arena;
        MemorySegment map;
        ShmLayout layout;

        PendingPeer(SocketChannel channel, SelectionKey key, long deadline) {
            this.channel = channel;
            this.key = key;
            this.deadline = deadline;
        }

        /** MAPPED arrived: the file's name goes, the mapping becomes the connection's. */
        Connection connect() {
            ShmFiles.unlink(file);
            file = null;
            nextFileSize = layout.totalSize();
            boolean ok = false;
            try {
                Connection c = transport.register(new ShmConnection(transport, 0, layout, arena, map, channel,
                        "connector on " + path, sharedCounters));
                ok = true;
                return c;
            } finally {
                if (!ok) {
                    abandon();
                }
            }
        }

        /** Drops the peer: its socket, and the shared file and mapping if made already. */
        void abandon() {
            key.cancel();
            ShmTransport.closeQuietly(channel);
            if (file != null) {
                ShmFiles.unlink(file);
                file = null;
            }
            if (arena != null) {
                arena.close();
                arena = null;
            }
        }
    }

    private void removeFiles(boolean bound) {
        try {
            if (bound || ownDirectory != null) {
                Files.deleteIfExists(path);
            }
            if (ownDirectory != null) {
                Files.deleteIfExists(ownDirectory);
            }
        } catch (IOException e) {
            throw new TransportException("cannot remove shm listener socket " + path + ": " + e, e);
        }
    }

    @Override
    public CounterScope counterScope() {
        return scope;
    }

    @Override
    public long localCounter(int index) {
        if (scope == CounterScope.CONNECTION) {
            return Listener.super.localCounter(index);
        }
        if (index < 0 || index >= local.counters()) {
            throw new IllegalArgumentException("shared counter " + index + " outside the listener's "
                    + local.counters() + " counters");
        }
        return (long) ShmConnection.LONG.getVolatile(sharedCounters, 8L * index);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        selector.wakeup();
        synchronized (pending) {
            pending.clear().forEach(PendingPeer::abandon);
            if (prepared != null) {
                prepared.discard();
                prepared = null;
            }
        }
        ShmTransport.closeQuietly(server);
        selector.wakeup();
        ShmTransport.closeQuietly(selector);
        transport.forget(this);
        try {
            removeFiles(true);
        } finally {
            if (countersFile != null) {
                // Connections keep their mappings; only the name goes.
                ShmFiles.unlink(countersFile);
            }
        }
    }

    @Override
    public String toString() {
        return "ShmListener[" + address() + "]";
    }
}
