package org.rfaas.transport.shm;

import org.rfaas.transport.testkit.RawInjector;
import org.rfaas.transport.testkit.TransportConformanceTest;

/** The shared conformance suite against the shm provider (a child JVM on the same node). */
class ShmConformanceTest extends TransportConformanceTest {

    @Override
    protected String transportName() {
        return "shm";
    }

    @Override
    protected String listenAddress() {
        return "shm:";
    }

    @Override
    protected RawInjector rawInjector() {
        return new ShmRawInjector();
    }

    /** Same host only: a peer process that stops is found by the watchdog only when it dies. */
    @Override
    protected boolean detectsSilentPeers() {
        return false;
    }
}
