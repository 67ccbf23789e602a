package org.rfaas.transport.fabric;

import java.util.concurrent.TimeUnit;

/** The peer rings with 8-byte "nudges" to this side's wake-up endpoint; the sleeper is in {@code fi_cq_sread} on its CQ. */
final class EndpointWaiter extends DoorbellWaiter {
    private final int sliceMillis;

    EndpointWaiter(FabricConnection connection, int spinPolls, int sliceMillis) {
        super(connection, spinPolls);
        this.sliceMillis = sliceMillis;
    }

    @Override
    public String kind() {
        return "wake endpoint";
    }

    @Override
    long rung() {
        return connection.nudgedWritten();
    }

    @Override
    void beforeAnnounce() throws Throwable {
        connection.drainNudges();
    }

    @Override
    void sleepUntilRung(long remainingNanos) throws Throwable {
        int ms = (int) Math.min(sliceMillis, Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNanos)));
        connection.sreadNudge(ms);
    }
}
