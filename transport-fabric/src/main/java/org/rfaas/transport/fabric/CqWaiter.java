package org.rfaas.transport.fabric;

import java.util.concurrent.TimeUnit;
import org.rfaas.transport.Completion;

/** Sleeps in {@code fi_cq_sread} on the data receive CQ (which has {@code FI_WAIT_FD}); no protocol. */
final class CqWaiter implements WarmWaiter {
    private final FabricReceiver receiver;
    private final int sliceMillis;

    CqWaiter(FabricReceiver receiver, int sliceMillis) {
        this.receiver = receiver;
        this.sliceMillis = sliceMillis;
    }

    @Override
    public String kind() {
        return "fi_cq_sread";
    }

    @Override
    public void begin() {
    }

    @Override
    public boolean step(Completion into, long remainingNanos) throws Throwable {
        int ms = (int) Math.min(sliceMillis, Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNanos)));
        return receiver.sreadReceive(into, ms);
    }
}
