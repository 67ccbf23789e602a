package org.rfaas.transport.fabric;

import org.rfaas.transport.BackoffIdleStrategy;
import org.rfaas.transport.Completion;

/**
 * The part of warm waiting that ringing peers share (the protocol is in the class comment of
 * {@link FabricConnection}): the first empty poll announces TYPE_WARM with the messages consumed
 * so far and polls once more; a message that the peer rang for but that has not reached the CQ
 * yet is polled for; otherwise the waiter sleeps until rung, the way the subclass knows.
 */
abstract class DoorbellWaiter implements WarmWaiter {
    protected final FabricReceiver receiver;
    /** Polling for a message that was rung for: spin, then parks of 20 µs. */
    private final BackoffIdleStrategy idle;

    DoorbellWaiter(FabricReceiver receiver, int spinPolls) {
        this.receiver = receiver;
        this.idle = new BackoffIdleStrategy(spinPolls, 0, 20_000, 20_000);
    }

    /** The highest write count the peer rang this side with. */
    abstract long rung();

    /** Before TYPE_WARM goes out: forget rings of an earlier warm phase where they queue up. */
    abstract void beforeAnnounce() throws Throwable;

    /** Sleeps until rung, at most {@code remainingNanos} and one wait slice. */
    abstract void sleepUntilRung(long remainingNanos) throws Throwable;

    @Override
    public void begin() {
        idle.reset();
    }

    @Override
    public boolean step(Completion into, long remainingNanos) throws Throwable {
        if (!receiver.announcedWarm()) {
            beforeAnnounce();
            receiver.announceWarm(); // then poll once more before sleeping
        } else if (receiver.consumed() < rung()) {
            // Rung for a message that has not reached the CQ yet: poll for it.
            idle.idle(remainingNanos);
        } else {
            idle.reset();
            sleepUntilRung(remainingNanos);
        }
        return false;
    }
}
