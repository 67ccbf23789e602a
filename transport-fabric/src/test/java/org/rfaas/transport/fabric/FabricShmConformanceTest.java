package org.rfaas.transport.fabric;

import org.rfaas.transport.testkit.RawInjector;
import org.rfaas.transport.testkit.TransportConformanceTest;

/** The shared conformance suite over fabric:shm (libfabric provider shm) on loopback. */
class FabricShmConformanceTest extends TransportConformanceTest {

    @Override
    protected String transportName() {
        return "fabric:shm";
    }

    @Override
    protected String listenAddress() {
        return "fabric:shm://127.0.0.1:0";
    }

    @Override
    protected RawInjector rawInjector() {
        return new FabricRawInjector("shm");
    }

    /** Not yet: each fabric endpoint registers its own counter region (see docs/rdma.md). */
    @Override
    protected boolean supportsListenerCounters() {
        return false;
    }
}
