package org.rfaas.transport.fabric;

import org.rfaas.transport.testkit.RawInjector;
import org.rfaas.transport.testkit.TransportConformanceTest;

/** The shared conformance suite over fabric:tcp (libfabric provider tcp;ofi_rxm) on loopback. */
class FabricTcpConformanceTest extends TransportConformanceTest {

    @Override
    protected String transportName() {
        return "fabric:tcp";
    }

    @Override
    protected String listenAddress() {
        return "fabric:tcp://127.0.0.1:0";
    }

    @Override
    protected RawInjector rawInjector() {
        return new FabricRawInjector("tcp;ofi_rxm");
    }

    /** Not yet: each fabric endpoint registers its own counter region (see docs/rdma.md). */
    @Override
    protected boolean supportsListenerCounters() {
        return false;
    }
}
