package org.rfaas.transport.fabric;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
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
 *
 * <p>A pause of this process is not the peer's silence (as in tcp's liveness): a read that times
 * out while the heartbeat timer is behind its schedule, or after it ran late during the read (the
 * timer's thread waited for a CPU, or the whole host was paused), waits another timeout instead of
 * failing, so that a peer paused together with this side is heard from once both run again.
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
    private volatile long intervalNanos;
    /** When the heartbeat task last ran (timer thread writes, reader reads). */
    private volatile long lastBeatRun;
    /** The heartbeat task's runs more than an interval late, their lateness summed: this process's pauses. */
    private volatile long pausedNanos;

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
        intervalNanos = liveness.heartbeatInterval().toNanos();
        lastBeatRun = System.nanoTime();
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
        long now = System.nanoTime();
        long late = now - lastBeatRun - intervalNanos;
        if (late > intervalNanos) {
            pausedNanos += late; // a pause, not jitter; only this thread writes it
        }
        lastBeatRun = now;
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
     * @throws java.net.SocketTimeoutException when nothing arrived for the liveness timeout of time
     *     this process was on schedule
     */
    void read(OobFrame into, InputStream in) throws IOException {
        int got = 0;
        long paused = pausedNanos;
        while (got < OobFrame.LENGTH) {
            int n;
            try {
                n = in.read(into.bytes(), got, OobFrame.LENGTH - got);
            } catch (SocketTimeoutException e) {
                if (!pausedSince(paused)) {
                    throw e;
                }
                paused = pausedNanos;
                continue; // this side's own pause: the peer gets another timeout
            }
            if (n < 0) {
                throw new EOFException();
            }
            got += n;
        }
    }

    /**
     * Whether this process paused since {@code paused} was read from {@link #pausedNanos}: a run
     * of the heartbeat task came more than an interval late meanwhile (less is scheduling jitter,
     * which must not hold off a silent peer's loss), or the task is that far behind now. Before
     * liveness starts (no interval) never.
     */
    private boolean pausedSince(long paused) {
        long interval = intervalNanos;
        return interval > 0 && (pausedNanos != paused || System.nanoTime() - lastBeatRun > 2 * interval);
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
