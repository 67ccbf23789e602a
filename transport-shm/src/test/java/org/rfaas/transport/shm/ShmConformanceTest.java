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
}
