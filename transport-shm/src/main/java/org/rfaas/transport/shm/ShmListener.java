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
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.TransportException;

/**
 * An shm listening endpoint: a Unix-domain server socket. For each peer it creates the shared
 * file, maps it, announces it in the {@link ShmHandshake#WELCOME} and unlinks it as soon as the
 * peer confirms it mapped it (or the handshake fails), so no file outlives a handshake.
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

    @Override
    public Connection accept(Duration timeout) {
        long deadline = System.nanoTime() + ShmTransport.cappedNanos(timeout);
        SocketChannel ch;
        try {
            while (true) {
                if (closed) {
                    throw new TransportException("shm listener " + path + " is closed");
                }
                ch = server.accept();
                if (ch != null) {
                    break;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                // Bounded waits so that close() from another thread is noticed.
                selector.select(Math.max(1, Math.min(left / 1_000_000, 200)));
                selector.selectedKeys().clear();
            }
        } catch (IOException | ClosedSelectorException e) {
            if (closed) {
                throw new TransportException("shm listener " + path + " is closed", e);
            }
            throw new TransportException("shm listener " + path + " failed: " + e, e);
        }
        return handshake(ch);
    }

    private Connection handshake(SocketChannel ch) {
        Arena arena = Arena.ofShared();
        Path file = null;
        boolean ok = false;
        try {
            ch.configureBlocking(false);
            long deadline = System.nanoTime() + ShmTransport.HANDSHAKE_TIMEOUT.toNanos();
            ShmHandshake.Message hello = ShmHandshake.receive(ch, ShmHandshake.HELLO, deadline);
            if (hello.type() == ShmHandshake.REJECT) {
                throw new ProtocolException(ProtocolError.BAD_TYPE, "shm connector opened with a REJECT: " + hello.text());
            }
            ShmLayout layout = ShmLayout.of(local, hello.spec());
            try {
                file = ShmFiles.create(layout.totalSize());
            } catch (TransportException e) {
                // Usually a spec too large for /dev/shm: the peer's request, not the listener, is at fault.
                throw new ProtocolException(ProtocolError.OVERSIZED, "shm connector's " + hello.spec()
                        + " cannot be served: " + e.getMessage());
            }
            MemorySegment map = ShmFiles.map(file, layout.totalSize(), arena);
            layout.writeHeader(map);
            if (countersFile == null) {
                ShmHandshake.send(ch, ShmHandshake.welcome(local, layout.totalSize(), file.toString()), deadline);
            } else {
                ShmHandshake.send(ch, ShmHandshake.welcome(local, layout.totalSize(), file.toString(),
                        ShmHandshake.FLAG_SHARED_COUNTERS), deadline);
                ShmHandshake.send(ch, ShmHandshake.counters(local.counters(),
                        ShmLayout.countersFileSize(local.counters()), countersFile.toString()), deadline);
            }
            ShmHandshake.Message mapped = ShmHandshake.receive(ch, ShmHandshake.MAPPED, deadline);
            if (mapped.type() == ShmHandshake.REJECT) {
                throw new ProtocolException(ProtocolError.ofCode(mapped.code()),
                        "shm connector rejected the mapping: " + mapped.text());
            }
            ShmConnection c = transport.register(new ShmConnection(transport, 0, layout, arena, map, ch,
                    "connector on " + path, sharedCounters));
            ok = true;
            return c;
        } catch (ProtocolException e) {
            throw ShmTransport.reject(ch, e);
        } catch (IOException e) {
            throw new ProtocolException(ProtocolError.TRUNCATED, "shm handshake on " + path + " broke off: " + e);
        } finally {
            if (file != null) {
                ShmFiles.unlink(file);
            }
            if (!ok) {
                ShmTransport.closeQuietly(ch);
                arena.close();
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
