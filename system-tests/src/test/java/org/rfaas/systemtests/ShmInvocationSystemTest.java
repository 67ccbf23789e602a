package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.rfaas.client.InvocationSlot;
import org.rfaas.client.WaitMode;

/** {@link InvocationSystemTest} over the {@code shm} transport (same-node shared memory). */
class ShmInvocationSystemTest extends InvocationSystemTest {
    @Override
    String listenAddress() {
        return "shm:";
    }

    /**
     * The client's invocation path allocates nothing. Checked over shm, whose write/poll/await
     * allocate nothing either, so any allocation seen here would be the client's own.
     */
    @Test
    void zeroCopyInvocationsAllocateNothingOnTheCallingThread() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        int fn = shared.functionIndex("noop");
        try (InvocationSlot slot = shared.acquireSlot()) {
            for (int i = 0; i < 3_000; i++) {
                slot.invoke(fn, 8, 64, WaitMode.WARM);
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            int calls = 4_000;
            for (int i = 0; i < calls; i++) {
                slot.invoke(fn, 8, 64, WaitMode.WARM);
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            // Any per-call allocation is at least 16 bytes a call; allow a few one-off objects (JIT, timers).
            assertTrue(allocated < calls, allocated + " bytes allocated by " + calls + " invocations");
        }
    }
}
