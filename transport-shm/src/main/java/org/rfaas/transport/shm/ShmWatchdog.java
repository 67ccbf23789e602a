package org.rfaas.transport.shm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One daemon thread per process that watches the Unix-domain sockets of all shm connections. The
 * data path never touches a socket, so a peer's death (even by SIGKILL, when the kernel closes its
 * descriptors) shows up here only, as end-of-file; the watchdog then marks the connection failed
 * and wakes its sleeping receiver.
 *
 * <p>Started by the first open {@link ShmTransport} and stopped when the last one closes.
 */
final class ShmWatchdog implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ShmWatchdog.class);
    private static final Object LOCK = new Object();
    private static int users;
    private static ShmWatchdog instance;

    private final Selector selector;
    private final Queue<ShmConnection> pending = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean running = true;

    private ShmWatchdog() {
        try {
            selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the shm watchdog selector", e);
        }
        thread = Thread.ofPlatform().daemon().name("rfaas-shm-watchdog").unstarted(this);
        thread.start();
    }

    /** Called when a transport opens: makes sure the watchdog runs. */
    static ShmWatchdog acquire() {
        synchronized (LOCK) {
            if (users++ == 0) {
                instance = new ShmWatchdog();
            }
            return instance;
        }
    }

    /** Called when a transport closes: the last one stops the watchdog. */
    static void release() {
        synchronized (LOCK) {
            if (users > 0 && --users == 0) {
                instance.stop();
                instance = null;
            }
        }
    }

    /** Starts watching an established connection's socket (which must be non-blocking). */
    void watch(ShmConnection connection) {
        pending.add(connection);
        selector.wakeup();
    }

    private void stop() {
        running = false;
        selector.wakeup();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void run() {
        ByteBuffer sink = ByteBuffer.allocateDirect(64);
        try (selector) {
            while (running) {
                selector.select(500);
                for (ShmConnection c; (c = pending.poll()) != null; ) {
                    try {
                        c.socket().register(selector, SelectionKey.OP_READ, c);
                    } catch (ClosedChannelException e) {
                        // Closed before we got to it: the connection knows it is closed.
                        LOG.trace("shm connection {} closed before it was watched", c.peerDescription());
                    }
                }
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    inspect(key, sink);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("shm watchdog stopped; peer failures will no longer be noticed", e);
        }
    }

    private static void inspect(SelectionKey key, ByteBuffer sink) {
        ShmConnection c = (ShmConnection) key.attachment();
        SocketChannel ch = (SocketChannel) key.channel();
        try {
            if (!key.isReadable()) {
                return;
            }
            sink.clear();
            int n = ch.read(sink);
            if (n < 0) {
                key.cancel();
                c.peerFailed("closed its liveness socket (it closed the connection or its process died)");
            } else if (n > 0) {
                key.cancel();
                c.peerFailed("sent " + n + " unexpected bytes on the liveness socket after the handshake");
            }
        } catch (CancelledKeyException e) {
            // Closed locally meanwhile.
        } catch (IOException e) {
            key.cancel();
            c.peerFailed("liveness socket failed: " + e.getMessage());
        }
    }
}
