package org.rfaas.transport.tcp;

import org.rfaas.transport.testkit.RawInjector;
import org.rfaas.transport.testkit.TransportConformanceTest;

/** The shared conformance suite against the tcp provider on loopback. */
class TcpConformanceTest extends TransportConformanceTest {

    @Override
    protected String transportName() {
        return "tcp";
    }

    @Override
    protected String listenAddress() {
        return "tcp://127.0.0.1:0";
    }

    @Override
    protected RawInjector rawInjector() {
        return new TcpRawInjector();
    }
}
