package org.rfaas.systemtests;

/** {@link FailureSystemTest} over libfabric's {@code tcp} provider (with {@code ofi_rxm}). */
class FabricTcpFailureSystemTest extends FailureSystemTest {
    @Override
    String listenAddress() {
        return "fabric:tcp://127.0.0.1:0";
    }
}
