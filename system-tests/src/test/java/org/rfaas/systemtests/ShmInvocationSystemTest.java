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
            for (int i = 0; i < 2_000; i++) {
                slot.invoke(fn, 8, 64, WaitMode.WARM);
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < 1_024, allocated + " bytes allocated by 2000 invocations");
        }
    }
}
