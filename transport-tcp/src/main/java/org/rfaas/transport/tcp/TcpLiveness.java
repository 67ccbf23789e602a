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
 *
 * <p>Time this side could not look is not the peer's silence: a run that comes later than its
 * interval (the timer's thread waited for a CPU, or the whole host was paused, as a VM's vCPUs or a
 * stopped process are) moves the start of the quiet time on by its lateness, so that a peer paused
 * together with this side gets its whole timeout once both run again (Cassandra's failure
 * detector likewise convicts no peer after a local pause). A peer that stays silent is still lost
 * at most one timeout and one interval after this side runs again.
 */
final class TcpLiveness implements Runnable {
    private final TcpConnection connection;
    private final long timeoutNanos;
    private final long timeoutMillis;
    private final long intervalNanos;
    private long lastRun = System.nanoTime();
    private long seenReceived = -1;
    private long seenSent = -1;
    private long quietSince = System.nanoTime();
    private volatile Future<?> task;

    private TcpLiveness(TcpConnection connection, Liveness liveness) {
        this.connection = connection;
        this.timeoutNanos = liveness.timeout().toNanos();
        this.timeoutMillis = liveness.timeout().toMillis();
        this.intervalNanos = liveness.heartbeatInterval().toNanos();
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
        long started = System.nanoTime();
        long late = started - lastRun - intervalNanos;
        lastRun = started;
        if (late > 0) {
            quietSince += late; // this side's own pause (see the class comment)
        }
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
