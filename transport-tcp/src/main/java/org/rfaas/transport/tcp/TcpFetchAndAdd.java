package org.rfaas.transport.tcp;

import java.io.IOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;

/**
 * This side's fetch-and-add in flight over a {@link TcpConnection} (one at a time: one sending
 * thread): the FAA_REQUEST went out, the FAA_RESPONSE is awaited. Over tcp the peer applies the
 * addition while it polls or awaits, so the waiting thread keeps this connection receiving too
 * (completions it reads wait in the backlog) and fails after {@link TcpContext#fetchAndAddTimeout()}
 * if a live peer never answers.
 */
final class TcpFetchAndAdd {
    private static final long BACKOFF_NANOS = 20_000;

    private final TcpConnection connection;
    private final Selector readSelector;
    private final String peerDescription;
    private final Duration timeout;
    private volatile boolean outstanding;
    private volatile boolean done;
    private volatile Thread waiter;
    private int index;
    private long result;

    TcpFetchAndAdd(TcpConnection connection, Selector readSelector, String peerDescription, Duration timeout) {
        this.connection = connection;
        this.readSelector = readSelector;
        this.peerDescription = peerDescription;
        this.timeout = timeout;
    }

    /** Marks a request for counter {@code counter} outstanding, before it is sent. */
    void begin(int counter) {
        index = counter;
        done = false;
        waiter = Thread.currentThread();
        outstanding = true;
    }

    /** Forgets the waiting thread once the call returns or throws. */
    void end() {
        waiter = null;
    }

    /** Wakes the waiting thread, if any (the connection failed or closed). */
    void wakeWaiter() {
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    /** An FAA_RESPONSE arrived (read by whichever thread holds the receive guard). */
    void onResponse(Frame frame) {
        if (!outstanding) {
            throw new ProtocolException(ProtocolError.BAD_TYPE,
                    "FAA_RESPONSE from " + peerDescription + " but no fetch-and-add is outstanding");
        }
        if (frame.index() != index) {
            throw new ProtocolException(ProtocolError.BAD_INDEX, "FAA_RESPONSE from " + peerDescription
                    + " names counter " + frame.index() + " but the request was for counter " + index);
        }
        result = frame.value();
        outstanding = false;
        done = true;
        Thread w = waiter;
        if (w != null && w != Thread.currentThread()) {
            LockSupport.unpark(w);
        }
    }

    /** Waits for the answer, receiving meanwhile; returns the counter's previous value. */
    long awaitAnswer() {
        long start = System.nanoTime();
        long limit = timeout.toNanos();
        int spins = 0;
        while (!done) {
            connection.checkUsable();
            if (System.nanoTime() - start > limit) {
                throw connection.fail(new PeerFailedException("peer " + peerDescription
                        + " did not answer a fetch-and-add within " + timeout.toMillis() + " ms; over tcp the peer"
                        + " applies it while it polls or awaits its connection, so it must keep doing that"));
            }
            if (connection.tryAcquireReceive()) {
                try {
                    connection.receiveWhileBusy();
                    if (!done) {
                        if (connection.responsePending() || connection.backlog().isFull()) {
                            LockSupport.parkNanos(this, BACKOFF_NANOS);
                        } else if (spins++ < 64) {
                            Thread.onSpinWait();
                        } else {
                            readSelector.select(Selectors.IGNORE_KEY, 10);
                        }
                    }
                } catch (IOException | ClosedSelectorException e) {
                    throw connection.ioFailure(e);
                } finally {
                    connection.releaseReceive();
                }
            } else {
                LockSupport.parkNanos(this, BACKOFF_NANOS); // the receiving thread unparks us
            }
        }
        return result;
    }
}
