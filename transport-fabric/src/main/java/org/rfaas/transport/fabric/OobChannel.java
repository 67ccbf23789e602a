package org.rfaas.transport.fabric;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantLock;
import org.rfaas.transport.Liveness;
import org.rfaas.transport.LivenessTimer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The out-of-band socket of one fabric connection once the handshake is done: {@link OobFrame}s in
 * both directions, and the connection's liveness channel.
 *
 * <p>Liveness: the process's {@link LivenessTimer} sends a {@link OobFrame#TYPE_HEARTBEAT} every
 * heartbeat interval, and {@link #read} waits at most the liveness timeout
 * ({@code SO_TIMEOUT}), so a peer whose host froze or lost its link (no FIN ever arrives) shows as
 * a {@link java.net.SocketTimeoutException} in the reading thread. The heartbeat only tries the
 * write lock: a thread that holds it is writing and is the sign of life; the timer thread never
 * waits for another writer. The data path never touches this socket except to ring a warm peer.
 */
final class OobChannel {
    private static final Logger LOG = LoggerFactory.getLogger(OobChannel.class);

    private final Socket socket;
    private final String peerDescription;
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Filled and written under {@link #writeLock}. */
    private final OobFrame outgoing = new OobFrame();
    /** Written by the timer under {@link #writeLock}; never changes. */
    private final OobFrame heartbeat = new OobFrame().set(OobFrame.TYPE_HEARTBEAT, 0, 0);
    private volatile Future<?> heartbeats;

    OobChannel(Socket socket, String peerDescription) {
        this.socket = socket;
        this.peerDescription = peerDescription;
    }

    /**
     * From now on reads wait at most {@code liveness.timeout()} and a heartbeat goes out every
     * interval.
     */
    void startLiveness(Liveness liveness) throws SocketException {
        socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, liveness.timeout().toMillis()));
        heartbeats = LivenessTimer.every(liveness.heartbeatInterval(), this::sendHeartbeat);
    }

    /** Stops the heartbeats; idempotent. */
    void stopHeartbeats() {
        Future<?> h = heartbeats;
        if (h != null) {
            h.cancel(false);
        }
    }

    /** Writes one frame; threads take turns. Allocation-free. */
    void send(byte type, int index, long value) throws IOException {
        writeLock.lock();
        try {
            socket.getOutputStream().write(outgoing.set(type, index, value).bytes());
        } finally {
            writeLock.unlock();
        }
    }

    private void sendHeartbeat() {
        if (!writeLock.tryLock()) {
            return;
        }
        try {
            socket.getOutputStream().write(heartbeat.bytes());
        } catch (IOException e) {
            // The reading thread reports the peer's loss (end of stream or silence).
            LOG.debug("heartbeat to {} failed: {}", peerDescription, e.toString());
            stopHeartbeats();
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Reads one whole frame into {@code into}.
     *
     * @throws EOFException at end of stream
     * @throws java.net.SocketTimeoutException when nothing arrived for the liveness timeout
     */
    void read(OobFrame into, InputStream in) throws IOException {
        int got = 0;
        while (got < OobFrame.LENGTH) {
            int n = in.read(into.bytes(), got, OobFrame.LENGTH - got);
            if (n < 0) {
                throw new EOFException();
            }
            got += n;
        }
    }

    /** The stream {@link #read} reads from. */
    InputStream input() throws IOException {
        return socket.getInputStream();
    }

    /** The raw output, for writes before liveness starts (the handshake). */
    OutputStream output() throws IOException {
        return socket.getOutputStream();
    }
}
