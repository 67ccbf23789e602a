package org.rfaas.transport.fabric;

/**
 * fabric:shm forced onto the fallback paths that providers without RMA or FI_ATOMIC take:
 * two-sided tagged messages into posted receives and fetch-and-add applied by the peer.
 */
class FabricShmMessagesTest extends FabricTwoProcessTests {
    @Override
    String transportName() {
        return "fabric:shm";
    }

    @Override
    String[] properties() {
        return new String[] {FabricContext.MODE_PROPERTY + "=msg", FabricContext.ATOMICS_PROPERTY + "=emulated"};
    }

    @Override
    FabricCapabilities.DataMode expectedMode() {
        return FabricCapabilities.DataMode.MSG;
    }

    @Override
    boolean expectNativeAtomics() {
        return false;
    }
}
