package org.rfaas.transport.tcp;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import jdk.net.ExtendedSocketOptions;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens tcp connections: socket options, then the HANDSHAKE exchange in which each side learns
 * the other's {@link ConnectionSpec}. The connecting side speaks first; the listener validates
 * the spec, answers with its own, or answers ERROR and closes. Both sides give up at a deadline,
 * so a silent or half-open peer cannot block {@code connect} or {@code accept}.
 */
final class TcpHandshake {
    private static final Logger LOG = LoggerFactory.getLogger(TcpHandshake.class);

    private TcpHandshake() {
    }

    /** Connects to a listener and exchanges handshakes; the client speaks first. */
    static TcpConnection connect(String address, InetSocketAddress target, ConnectionSpec local, Duration timeout,
            TcpContext context) {
        long deadline = System.nanoTime() + timeout.toNanos();
        SocketChannel ch = null;
        Selector sel = null;
        Arena arena = null;
        try {
            ch = SocketChannel.open();
            ch.configureBlocking(false);
            configureSocket(ch);
            sel = Selector.open();
            SelectionKey key = ch.register(sel, SelectionKey.OP_CONNECT);
            if (!ch.connect(target)) {
                while (!ch.finishConnect()) {
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        throw new TransportException("no tcp connection to " + address + " within "
                                + timeout.toMillis() + " ms; is a listener running there?");
                    }
                    sel.select(Selectors.IGNORE_KEY, Selectors.ceilMillis(remaining));
                }
            }
            key.interestOps(SelectionKey.OP_READ);
            arena = Arena.ofShared();
            MemorySegment header = arena.allocate(Frame.LENGTH, 64);
            Frame frame = new Frame().wrap(header);
            frame.put(Frame.HANDSHAKE, 0, local.slots(), local.slotSize(), local.counters());
            writeFully(ch, header.asByteBuffer(), deadline, address);
            ByteBuffer in = header.asByteBuffer();
            int got = readFully(ch, sel, in, deadline);
            if (got == -2) {
                throw new TransportException("listener " + address + " did not answer the handshake within "
                        + timeout.toMillis() + " ms");
            }
            if (got >= 0) {
                throw new PeerFailedException("listener " + address + " closed the connection during the handshake after "
                        + got + " of " + Frame.LENGTH + " bytes");
            }
            byte type = frame.validate(local, address);
            if (type == Frame.ERROR) {
                throw new TransportException("listener " + address + " rejected our handshake: "
                        + ProtocolError.ofCode(frame.index()));
            }
            if (type != Frame.HANDSHAKE) {
                throw new ProtocolException(ProtocolError.BAD_HANDSHAKE,
                        "listener " + address + " answered the handshake with " + Frame.typeName(type));
            }
            ConnectionSpec peer = frame.handshakeSpec(address);
            TcpConnection c = new TcpConnection(ch, sel, arena, local, peer, address, context);
            LOG.debug("connected to {}: local {}, peer {}", address, local, peer);
            return c;
        } catch (IOException e) {
            closeQuietly(ch, sel, arena);
            throw new TransportException("cannot connect to " + address + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(ch, sel, arena);
            throw e;
        }
    }

    /**
     * Completes the handshake of a freshly accepted socket; the client speaks first. The connection
     * adds into {@code sharedCounters} when it is not {@code null} (a {@code LISTENER}-scope listener).
     */
    static TcpConnection accept(SocketChannel ch, ConnectionSpec local, TcpContext context,
            MemorySegment sharedCounters) {
        return accept(ch, null, System.nanoTime() + context.handshakeTimeout().toNanos(), local, context, sharedCounters);
    }

    /**
     * Like {@link #accept(SocketChannel, ConnectionSpec, TcpContext, MemorySegment)} for a socket
     * whose first {@code received.position()} handshake bytes the listener has read already (it
     * reads every pending peer as bytes arrive, so that a silent or slow one holds up no other).
     */
    static TcpConnection accept(SocketChannel ch, ByteBuffer received, long deadline, ConnectionSpec local,
            TcpContext context, MemorySegment sharedCounters) {
        String from = "unknown peer";
        Selector sel = null;
        Arena arena = null;
        Frame frame = null;
        ByteBuffer header = null;
        try {
            from = TcpAddress.format((InetSocketAddress) ch.getRemoteAddress());
            ch.configureBlocking(false);
            configureSocket(ch);
            sel = Selector.open();
            ch.register(sel, SelectionKey.OP_READ);
            arena = Arena.ofShared();
            MemorySegment seg = arena.allocate(Frame.LENGTH, 64);
            frame = new Frame().wrap(seg);
            header = seg.asByteBuffer();
            if (received != null) {
                header.put(received.flip());
            }
            int got = readFully(ch, sel, header, deadline);
            if (got == -2) {
                throw new ProtocolException(ProtocolError.BAD_HANDSHAKE, "peer " + from + " sent "
                        + header.position() + " of " + Frame.LENGTH + " handshake bytes within "
                        + context.handshakeTimeout().toMillis() + " ms");
            }
            if (got >= 0) {
                throw new ProtocolException(ProtocolError.TRUNCATED, "peer " + from
                        + " closed the connection after " + got + " of " + Frame.LENGTH + " handshake bytes");
            }
            byte type = frame.validate(local, from);
            if (type != Frame.HANDSHAKE) {
                throw new ProtocolException(ProtocolError.BAD_HANDSHAKE,
                        "peer " + from + " opened with " + Frame.typeName(type) + " instead of HANDSHAKE");
            }
            ConnectionSpec peer = frame.handshakeSpec(from);
            frame.put(Frame.HANDSHAKE, 0, local.slots(), local.slotSize(), local.counters());
            header.clear();
            writeFully(ch, header, deadline, from);
            TcpConnection c = new TcpConnection(ch, sel, arena, local, peer, from, context, sharedCounters);
            LOG.debug("accepted {}: local {}, peer {}", from, local, peer);
            return c;
        } catch (ProtocolException e) {
            LOG.warn("rejected connection from {}: {}", from, e.getMessage());
            if (frame != null) {
                frame.put(Frame.ERROR, 0, e.error().code(), 0, 0);
                header.clear();
                try {
                    ch.write(header);
                } catch (IOException io) {
                    LOG.debug("could not tell {} about its bad handshake: {}", from, io.toString());
                }
            }
            closeQuietly(ch, sel, arena);
            throw e;
        } catch (IOException e) {
            closeQuietly(ch, sel, arena);
            throw new ProtocolException(ProtocolError.TRUNCATED,
                    "connection from " + from + " failed during the handshake: " + e.getMessage());
        } catch (RuntimeException e) {
            closeQuietly(ch, sel, arena);
            throw e;
        }
    }

    /**
     * Reads until {@code buf} is full or the deadline passes. Returns -1 when full, -2 on timeout,
     * or the number of bytes read when the stream ended first.
     */
    private static int readFully(SocketChannel ch, Selector sel, ByteBuffer buf, long deadline) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                return buf.position();
            }
            if (!buf.hasRemaining()) {
                break;
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return -2;
            }
            sel.select(Selectors.IGNORE_KEY, Selectors.ceilMillis(remaining));
        }
        return -1;
    }

    /** Writes a handshake-time buffer; the socket is fresh, so this does not spin in practice. */
    private static void writeFully(SocketChannel ch, ByteBuffer buf, long deadline, String peer) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.write(buf) == 0) {
                if (System.nanoTime() - deadline > 0) {
                    throw new TransportException("could not send the handshake to " + peer + " in time");
                }
                Thread.onSpinWait();
            }
        }
    }

    private static void closeQuietly(SocketChannel ch, Selector sel, Arena arena) {
        try {
            if (ch != null) {
                ch.close();
            }
            if (sel != null) {
                sel.close();
            }
        } catch (IOException e) {
            LOG.debug("closing a half-open connection: {}", e.toString());
        }
        if (arena != null) {
            arena.close();
        }
    }

    /**
     * No Nagle delay; keep-alive probes after 1 s of silence so that a peer whose host vanished
     * (no FIN, no RST) is detected in a few seconds rather than the kernel default of two hours.
     * A dead peer process on a live host is detected at once through FIN/RST.
     */
    private static void configureSocket(SocketChannel ch) throws IOException {
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
        try {
            ch.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, 1);
            ch.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, 1);
            ch.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, 3);
        } catch (UnsupportedOperationException e) {
            LOG.debug("keep-alive tuning not supported here; using the system defaults: {}", e.toString());
        }
    }

}
