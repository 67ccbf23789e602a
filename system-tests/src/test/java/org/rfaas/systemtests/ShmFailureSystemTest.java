package org.rfaas.systemtests;

/** {@link FailureSystemTest} over {@code shm}. */
class ShmFailureSystemTest extends FailureSystemTest {
    @Override
    String listenAddress() {
        return "shm:";
    }
}
