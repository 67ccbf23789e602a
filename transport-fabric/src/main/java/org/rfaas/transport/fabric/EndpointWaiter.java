package org.rfaas.transport.fabric;

import java.util.concurrent.TimeUnit;

/** The peer rings with 8-byte "nudges" to this side's wake-up endpoint; the sleeper is in {@code fi_cq_sread} on its CQ. */
final class EndpointWaiter extends DoorbellWaiter {
    private final int sliceMillis;

    EndpointWaiter(FabricReceiver receiver, int spinPolls, int sliceMillis) {
        super(receiver, spinPolls);
        this.sliceMillis = sliceMillis;
    }

    @Override
    public String kind() {
        return "wake endpoint";
    }

    @Override
    long rung() {
        return receiver.nudgedWritten();
    }

    @Override
    void beforeAnnounce() throws Throwable {
        receiver.drainNudges();
    }

    @Override
    void sleepUntilRung(long remainingNanos) throws Throwable {
        int ms = (int) Math.min(sliceMillis, Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNanos)));
        receiver.sreadNudge(ms);
    }
}
