package org.rfaas.transport.fabric;

/** fabric:shm with what the provider offers: RMA writes with CQ data, FI_ATOMIC. */
class FabricShmTest extends FabricTwoProcessTests {
    @Override
    String transportName() {
        return "fabric:shm";
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
