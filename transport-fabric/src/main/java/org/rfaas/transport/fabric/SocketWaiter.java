package org.rfaas.transport.fabric;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** The peer rings with a TYPE_WAKE frame on the out-of-band socket; its reader unparks the sleeper. */
final class SocketWaiter extends DoorbellWaiter {
    private final long sliceNanos;

    SocketWaiter(FabricConnection connection, int spinPolls, int sliceMillis) {
        super(connection, spinPolls);
        this.sliceNanos = TimeUnit.MILLISECONDS.toNanos(sliceMillis);
    }

    @Override
    public String kind() {
        return "wake socket";
    }

    @Override
    long rung() {
        return connection.rungWritten();
    }

    @Override
    void beforeAnnounce() {
        // rings of an earlier phase only raise the rung count, which never exceeds what was written
    }

    @Override
    void sleepUntilRung(long remainingNanos) {
        connection.sleepOn(Thread.currentThread()); // published before the rung count is read
        if (connection.consumed() >= connection.rungWritten()) {
            LockSupport.parkNanos(Math.min(remainingNanos, sliceNanos));
        }
    }

    @Override
    public void end() {
        connection.sleepOn(null);
    }
}
