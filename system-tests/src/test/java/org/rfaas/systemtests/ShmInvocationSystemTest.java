package org.rfaas.systemtests;

/** {@link InvocationSystemTest} over the {@code shm} transport (same-node shared memory). */
class ShmInvocationSystemTest extends InvocationSystemTest {
    @Override
    String listenAddress() {
        return "shm:";
    }
}
