package org.rfaas.transport.tcp;

import java.io.IOException;
import java.util.concurrent.Future;
import org.rfaas.transport.Liveness;
import org.rfaas.transport.LivenessTimer;

/**
 * The liveness work of one {@link TcpConnection}, run every heartbeat interval on the process's
 * {@link LivenessTimer} thread; the data path only counts bytes in ({@link TcpFrameReader}) and
 * frames out ({@link TcpFrameWriter}) in plain fields it already owns, and skips HEARTBEAT frames
 * like any other control frame.
 *
 * <p>Each run: (1) if this side sent no frame since the last run, it sends a HEARTBEAT, never
 * waiting for the send guard (a write in progress is itself the sign of life) and never blocking
 * (a heartbeat the socket takes only in part keeps the guard until a later run finishes it, so no
 * frame interleaves with it); (2) if no byte arrived since the last run and no thread is
 * receiving, it receives on the owner's behalf (completions wait in the backlog for the next
 * poll, as during a fetch-and-add), so an owner that does not poll is never mistaken for a silent
 * peer; (3) if still no byte arrived for the liveness timeout, the peer is lost: the connection
 * fails with PeerFailedException, which wakes a blocked await, write or fetch-and-add. A full
 * backlog counts as a sign of life: the peer sent more than the owner has taken.
 */
final class TcpLiveness implements Runnable {
    private final TcpConnection connection;
    private final long timeoutNanos;
    private final long timeoutMillis;
    private long seenReceived = -1;
    private long seenSent = -1;
    private long quietSince = System.nanoTime();
    private volatile Future<?> task;

    private TcpLiveness(TcpConnection connection, Liveness liveness) {
        this.connection = connection;
        this.timeoutNanos = liveness.timeout().toNanos();
        this.timeoutMillis = liveness.timeout().toMillis();
    }

    /** Starts watching {@code connection}; the first run is one heartbeat interval from now. */
    static TcpLiveness start(TcpConnection connection, Liveness liveness) {
        TcpLiveness l = new TcpLiveness(connection, liveness);
        l.task = LivenessTimer.every(liveness.heartbeatInterval(), l);
        return l;
    }

    /** Stops watching; idempotent. */
    void stop() {
        Future<?> t = task;
        if (t != null) {
            t.cancel(false);
        }
    }

    @Override
    public void run() {
        TcpFrameWriter writer = connection.writer();
        if (!connection.isOpen()) {
            if (writer.heartbeatUnfinished()) {
                writer.abandonHeartbeat();
                connection.releaseSend();
            }
            stop();
            return;
        }
        if (writer.framesSent() == seenSent || writer.heartbeatUnfinished()) {
            sendHeartbeat(writer);
        }
        seenSent = writer.framesSent();

        long now = System.nanoTime();
        long received = connection.reader().bytesReceived();
        if (received == seenReceived && connection.tryAcquireReceive()) {
            try {
                connection.receiveWhileBusy();
            } finally {
                connection.releaseReceive();
            }
            received = connection.reader().bytesReceived();
        }
        if (received != seenReceived || connection.backlog().isFull()) {
            seenReceived = received;
            quietSince = now;
        } else if (now - quietSince > timeoutNanos) {
            connection.peerSilent((now - quietSince) / 1_000_000L, timeoutMillis);
            stop();
        }
    }

    private void sendHeartbeat(TcpFrameWriter writer) {
        if (!writer.heartbeatUnfinished() && !connection.tryAcquireSend()) {
            return;
        }
        boolean release = true;
        try {
            release = writer.heartbeat();
        } catch (IOException e) {
            throw connection.ioFailure(e);
        } finally {
            if (release) {
                connection.releaseSend();
            }
        }
    }

    @Override
    public String toString() {
        return "liveness of " + connection;
    }
}
