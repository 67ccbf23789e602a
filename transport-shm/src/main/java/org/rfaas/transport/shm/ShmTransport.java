package org.rfaas.transport.shm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.CounterScope;
import org.rfaas.transport.Listener;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code shm} transport: connections between processes of one node through a memory-mapped
 * file, negotiated over a Unix-domain socket. Addresses are {@code shm:/path/to/listener.sock};
 * {@code shm:} alone makes {@link #listen} pick a fresh socket path in a private temporary
 * directory.
 *
 * <p>Closing the transport closes its listeners and connections and, with the last open shm
 * transport of the process, stops the {@link ShmWatchdog} thread.
 */
final class ShmTransport implements Transport {
    private static final Logger LOG = LoggerFactory.getLogger(ShmTransport.class);
    /** How long either side waits for each handshake message before giving up on a peer. */
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);

    private final ShmWatchdog watchdog = ShmWatchdog.acquire();
    private final Set<AutoCloseable> open = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public String name() {
        return "shm";
    }

    @Override
    public Listener listen(String address, ConnectionSpec local) {
        return listen(address, local, CounterScope.CONNECTION);
    }

    /** Both scopes are supported; {@link CounterScope#LISTENER} adds a counters file, see {@link ShmListener}. */
    @Override
    public Listener listen(String address, ConnectionSpec local, CounterScope scope) {
        checkOpen();
        ShmListener listener = new ShmListener(this, pathOf(address, true), local, Objects.requireNonNull(scope, "scope"));
        open.add(listener);
        return listener;
    }

    @Override
    public Connection connect(String address, ConnectionSpec local, Duration timeout) {
        checkOpen();
        Path path = pathOf(address, false);
        long deadline = System.nanoTime() + cappedNanos(timeout);
        SocketChannel ch = dial(path, deadline);
        Arena arena = Arena.ofShared();
        boolean ok = false;
        try {
            // The listener answers from accept(), which it may call late: allow the whole timeout.
            long step = Math.max(deadline, System.nanoTime() + 1_000_000_000L);
            ShmHandshake.send(ch, ShmHandshake.hello(local), step);
            ShmHandshake.Message welcome = ShmHandshake.receive(ch, ShmHandshake.WELCOME, step);
            if (welcome.type() == ShmHandshake.REJECT) {
                throw new ProtocolException(ProtocolError.ofCode(welcome.code()),
                        "shm listener " + path + " rejected the handshake: " + welcome.text());
            }
            ShmLayout layout = ShmLayout.of(welcome.spec(), local);
            if (welcome.mappingSize() != layout.totalSize()) {
                throw reject(ch, new ProtocolException(ProtocolError.BAD_HANDSHAKE, "shm listener announced a "
                        + welcome.mappingSize() + "-byte mapping, the two specs need " + layout.totalSize()));
            }
            MemorySegment map;
            try {
                map = ShmFiles.mapPeerFile(welcome.text(), layout.totalSize(), arena);
                layout.verifyHeader(map);
            } catch (ProtocolException e) {
                throw reject(ch, e);
            }
            MemorySegment shared = null;
            if (welcome.code() == ShmHandshake.FLAG_SHARED_COUNTERS) {
                shared = mapSharedCounters(ch, welcome.spec(), step, arena);
            }
            ShmFiles.unlink(Path.of(welcome.text()));
            ShmHandshake.send(ch, ShmHandshake.mapped(), step);
            ShmConnection c = register(new ShmConnection(this, 1, layout, arena, map, ch, "listener " + path, shared));
            ok = true;
            return c;
        } catch (IOException e) {
            throw new TransportException("shm handshake with " + path + " failed: " + e.getMessage(), e);
        } finally {
            if (!ok) {
                closeQuietly(ch);
                arena.close();
            }
        }
    }

    /**
     * Receives the listener's {@link ShmHandshake#COUNTERS} message and maps the shared counters
     * file it names, after checking it like the connection file (prefix, directory, regular file,
     * size, header). The listener owns the file and unlinks it when it closes, so we do not.
     *
     * @return the counters
     */
    private static MemorySegment mapSharedCounters(SocketChannel ch, ConnectionSpec listenerSpec, long deadline,
            Arena arena) throws IOException {
        ShmHandshake.Message m = ShmHandshake.receive(ch, ShmHandshake.COUNTERS, deadline);
        if (m.type() == ShmHandshake.REJECT) {
            throw new ProtocolException(ProtocolError.ofCode(m.code()),
                    "shm listener rejected the handshake: " + m.text());
        }
        try {
            if (m.counters() != listenerSpec.counters()) {
                throw new ProtocolException(ProtocolError.BAD_HANDSHAKE, "shm listener announced " + m.counters()
                        + " shared counters but registered " + listenerSpec.counters());
            }
            long size = ShmLayout.countersFileSize(m.counters());
            if (m.mappingSize() != size) {
                throw new ProtocolException(ProtocolError.BAD_HANDSHAKE, "shm listener announced a " + m.mappingSize()
                        + "-byte counters file, " + m.counters() + " counters need " + size);
            }
            MemorySegment file = ShmFiles.mapPeerFile(m.text(), size, arena);
            return ShmLayout.verifyCountersHeader(file, m.counters());
        } catch (ProtocolException e) {
            throw reject(ch, e);
        }
    }

    /**
     * A timeout in nanoseconds, capped at about 36 years so that {@code System.nanoTime() + t}
     * cannot overflow (a caller may well pass {@code Duration.ofSeconds(Long.MAX_VALUE)}).
     */
    static long cappedNanos(Duration timeout) {
        long cap = 1L << 60;
        return timeout.compareTo(Duration.ofNanos(cap)) >= 0 ? cap : Math.max(0, timeout.toNanos());
    }

    /** Best effort: tell the peer why, then hand back the error for the caller to throw. */
    static ProtocolException reject(SocketChannel ch, ProtocolException e) {
        try {
            ShmHandshake.send(ch, ShmHandshake.reject(e.error(), e.getMessage()),
                    System.nanoTime() + 100_000_000L);
        } catch (IOException | RuntimeException ignored) {
            // The peer that sent garbage may well be gone already; the error is what matters.
            LOG.trace("could not send REJECT: {}", ignored.toString());
        }
        return e;
    }

    private static SocketChannel dial(Path path, long deadline) {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(path);
        while (true) {
            SocketChannel ch = null;
            try {
                ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                ch.connect(address);
                ch.configureBlocking(false);
                return ch;
            } catch (IOException e) {
                closeQuietly(ch);
                if (System.nanoTime() - deadline >= 0) {
                    throw new TransportException("cannot reach shm listener at " + path + " (" + e
                            + "); is the listening process running on this node?", e);
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new TransportException("interrupted while connecting to " + path, ie);
                }
            }
        }
    }

    ShmConnection register(ShmConnection c) {
        if (closed.get()) {
            c.close();
            throw new TransportException("the shm transport was closed");
        }
        open.add(c);
        watchdog.watch(c);
        return c;
    }

    void forget(AutoCloseable resource) {
        open.remove(resource);
    }

    static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("closing {} failed: {}", c, e.toString());
        }
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new TransportException("the shm transport was closed");
        }
    }

    /**
     * The socket path in an {@code shm:} address, or {@code null} for "pick one" (listen only).
     */
    static Path pathOf(String address, boolean mayBeEmpty) {
        if (address == null || !(address.equals("shm") || address.startsWith("shm:"))) {
            throw new TransportException("'" + address + "' is not an shm address; use shm:/path/to/listener.sock");
        }
        String p = address.length() <= 4 ? "" : address.substring(4);
        if (p.startsWith("//")) {
            p = p.substring(2);
        }
        if (p.isEmpty()) {
            if (mayBeEmpty) {
                return null;
            }
            throw new TransportException("'" + address + "' names no socket path; use shm:/path/to/listener.sock");
        }
        return Path.of(p).toAbsolutePath();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (AutoCloseable c : open.toArray(AutoCloseable[]::new)) {
            closeQuietly(c);
        }
        open.clear();
        ShmWatchdog.release();
    }
}
