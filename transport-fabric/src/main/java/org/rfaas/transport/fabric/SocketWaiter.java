package org.rfaas.transport.fabric;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** The peer rings with a TYPE_WAKE frame on the out-of-band socket; its reader unparks the sleeper. */
final class SocketWaiter extends DoorbellWaiter {
    private final long sliceNanos;

    SocketWaiter(FabricReceiver receiver, int spinPolls, int sliceMillis) {
        super(receiver, spinPolls);
        this.sliceNanos = TimeUnit.MILLISECONDS.toNanos(sliceMillis);
    }

    @Override
    public String kind() {
        return "wake socket";
    }

    @Override
    long rung() {
        return receiver.rungWritten();
    }

    @Override
    void beforeAnnounce() {
        // rings of an earlier phase only raise the rung count, which never exceeds what was written
    }

    @Override
    void sleepUntilRung(long remainingNanos) {
        receiver.sleepOn(Thread.currentThread()); // published before the rung count is read
        if (receiver.consumed() >= receiver.rungWritten()) {
            LockSupport.parkNanos(Math.min(remainingNanos, sliceNanos));
        }
    }

    @Override
    public void end() {
        receiver.sleepOn(null);
    }
}
