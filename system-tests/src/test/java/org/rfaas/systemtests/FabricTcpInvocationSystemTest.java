package org.rfaas.systemtests;

/** {@link InvocationSystemTest} over libfabric's {@code tcp} provider (with {@code ofi_rxm}). */
class FabricTcpInvocationSystemTest extends InvocationSystemTest {
    @Override
    String listenAddress() {
        return "fabric:tcp://127.0.0.1:0";
    }
}
