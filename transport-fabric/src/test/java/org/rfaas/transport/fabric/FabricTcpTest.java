package org.rfaas.transport.fabric;

/** fabric:tcp with what the provider offers: tcp;ofi_rxm, RMA writes with CQ data, FI_ATOMIC. */
class FabricTcpTest extends FabricTwoProcessTests {
    @Override
    String transportName() {
        return "fabric:tcp";
    }

    @Override
    FabricCapabilities.DataMode expectedMode() {
        return FabricCapabilities.DataMode.RMA;
    }

    @Override
    boolean expectNativeAtomics() {
        return true;
    }
}
