package org.rfaas.transport.fabric;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.Transports;

/** fi_getinfo through FFM and the capability detection for the providers this machine has. */
class FabricCapabilitiesTest {

    @Test
    void libfabricLoadsAndListsProviders() {
        assertNull(FabricInfo.libraryProblem(), "libfabric1 is installed on CI and dev machines");
        assertTrue(FabricInfo.libraryVersion().startsWith("1."), FabricInfo.libraryVersion());
        List<String> offered = FabricInfo.offered();
        assertTrue(offered.contains("tcp;ofi_rxm FI_EP_RDM"), offered.toString());
        assertTrue(offered.contains("shm FI_EP_RDM"), offered.toString());
    }

    @Test
    void tcpIsDetectedAsRdmOverRxmWithRmaAndAtomics() {
        FabricCapabilities c = FabricInfo.probe(List.of("tcp")).getFirst().capabilities();
        assertEquals("tcp;ofi_rxm", c.providerFound());
        assertEquals("FI_EP_RDM", c.endpointTypeName());
        assertTrue(c.rma() && c.tagged(), c.summary());
        assertTrue(c.cqDataSize() >= 8, c.summary());
        assertEquals(FabricCapabilities.DataMode.RMA, c.mode());
        assertTrue(c.waitObjects(), "tcp CQs take FI_WAIT_FD: " + c.summary());
    }

    @Test
    void shmIsDetectedWithVirtualAddressesAndNoFdWait() {
        FabricCapabilities c = FabricInfo.probe(List.of("shm")).getFirst().capabilities();
        assertEquals("shm", c.providerFound());
        assertEquals(FabricCapabilities.DataMode.RMA, c.mode());
        assertTrue((c.mrMode() & Fi.FI_MR_VIRT_ADDR) != 0, c.mrModeNames());
        assertTrue(c.nativeFetchAdd(), c.summary());
        assertTrue(!c.waitObjects(), "shm warm waits back off instead of fi_cq_sread: " + c.summary());
    }

    @Test
    void forcedPathsAreHonoured() {
        System.setProperty(FabricContext.MODE_PROPERTY, "msg");
        System.setProperty(FabricContext.ATOMICS_PROPERTY, "emulated");
        try {
            FabricCapabilities c = FabricInfo.probe(List.of("shm")).getFirst().capabilities();
            assertEquals(FabricCapabilities.DataMode.MSG, c.mode());
            assertTrue(!c.nativeFetchAdd());
            System.setProperty(FabricContext.MODE_PROPERTY, "bogus");
            FabricInfo.Probe p = FabricInfo.probe(List.of("shm")).getFirst();
            assertTrue(p.unavailable().contains(FabricContext.MODE_PROPERTY), p.unavailable());
        } finally {
            System.clearProperty(FabricContext.MODE_PROPERTY);
            System.clearProperty(FabricContext.ATOMICS_PROPERTY);
        }
    }

    @Test
    void unknownProvidersAndBadAddressesGiveActionableErrors() {
        TransportException e = assertThrows(TransportException.class, () -> Transports.open("fabric:nosuchfabric"));
        assertTrue(e.getMessage().contains("nosuchfabric") && e.getMessage().contains("fabric-info"), e.getMessage());
        assertThrows(TransportException.class, () -> Transports.open("fabric:"));
        try (Transport t = Transports.open("fabric:tcp")) {
            assertEquals("fabric:tcp", t.name());
            assertThrows(TransportException.class, () -> t.listen("tcp://127.0.0.1:0", new org.rfaas.transport.ConnectionSpec(1, 8, 0)));
            assertThrows(TransportException.class, () -> t.listen("fabric:tcp://127.0.0.1", new org.rfaas.transport.ConnectionSpec(1, 8, 0)));
        }
    }
}
