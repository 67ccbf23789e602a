package org.rfaas.transport.tcp;

import java.util.concurrent.Future;
import org.rfaas.transport.Liveness;
import org.rfaas.transport.LivenessTimer;

/**
 * The liveness work of one {@link TcpConnection}, run every heartbeat interval on the process's
 * {@link LivenessTimer} thread; the data path only counts bytes in and frames out in plain fields
 * it already owns, and skips HEARTBEAT frames like any other control frame.
 *
 * <p>Each run: (1) if this side sent no frame since the last run, it sends a HEARTBEAT (unless a
 * write holds the send side, which then is the sign of life); (2) if no byte arrived since the
 * last run and no thread is receiving, it receives on the owner's behalf (completions are queued
 * for the next poll, as during a fetch-and-add), so an idle owner that does not poll never mistakes
 * its own inattention for the peer's silence; (3) if still no byte arrived for the liveness
 * timeout, the peer is lost: the connection fails with PeerFailedException, which wakes a blocked
 * await, write or fetch-and-add. A full completion queue counts as a sign of life: the peer sent
 * more than the owner has taken.
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
        if (!connection.isOpen()) {
            connection.abandonHeartbeat();
            stop();
            return;
        }
        long sent = connection.framesSent();
        if (sent == seenSent || connection.heartbeatUnfinished()) {
            connection.sendHeartbeat();
        }
        seenSent = connection.framesSent();

        long now = System.nanoTime();
        long received = connection.bytesReceived();
        if (received == seenReceived) {
            connection.receiveForIdleOwner();
            received = connection.bytesReceived();
        }
        if (received != seenReceived || connection.backlogFull()) {
            seenReceived = received;
            quietSince = now;
        } else if (now - quietSince > timeoutNanos) {
            connection.peerSilent((now - quietSince) / 1_000_000L, timeoutMillis);
            stop();
        }
    }

    @Override
    public String toString() {
        return "liveness of " + connection;
    }
}
