package org.rfaas.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ListenAddressesTest {

    @Test
    void followsTheRouteToEachManager() {
        ListenAddresses auto = new ListenAddresses(Map.of(), null);
        // Linux routes every 127/8 destination from 127.0.0.1 (src of the local route on lo).
        assertEquals("tcp://127.0.0.1:0", auto.forManager("tcp://127.0.0.5:7000"));
        assertEquals("fabric:tcp://127.0.0.1:0", auto.forManager("fabric:tcp://127.0.0.9:7001"));
        assertEquals("tcp://[0:0:0:0:0:0:0:1]:0", auto.forManager("tcp://[::1]:7000"));
        assertEquals("127.0.0.1", ListenAddresses.routeTo("127.0.0.1:1"));
    }

    @Test
    void aRouteIsFoundOnceAndAgainAfterItsTimeToLive() {
        long[] now = {0};
        List<String> asked = new ArrayList<>();
        ListenAddresses auto = new ListenAddresses(Map.of(), null, hostPort -> {
            asked.add(hostPort);
            return "127.0.0." + asked.size();
        }, () -> now[0]);
        assertEquals("tcp://127.0.0.1:0", auto.forManager("tcp://127.0.0.5:7000"));
        now[0] += ListenAddresses.ROUTE_TTL_NANOS;
        assertEquals("tcp://127.0.0.1:0", auto.forManager("tcp://127.0.0.5:7000"));
        assertEquals("fabric:tcp://127.0.0.2:0", auto.forManager("fabric:tcp://127.0.0.6:7001"));
        assertEquals(List.of("127.0.0.5:7000", "127.0.0.6:7001"), asked);
        now[0] += 1;
        assertEquals("tcp://127.0.0.3:0", auto.forManager("tcp://127.0.0.5:7000"), "found again once expired");
        assertEquals(List.of("127.0.0.5:7000", "127.0.0.6:7001", "127.0.0.5:7000"), asked);
    }

    @Test
    void shmStaysOnTheHost() {
        assertEquals("shm:", new ListenAddresses(Map.of(), "127.0.0.3").forManager("shm:/tmp/rfaas/node0.sock"));
    }

    @Test
    void anExplicitHostOverridesTheRouteForIpTransports() {
        ListenAddresses fixed = new ListenAddresses(Map.of(), "127.0.0.7");
        assertEquals("tcp://127.0.0.7:0", fixed.forManager("tcp://127.0.0.5:7000"));
        assertEquals("fabric:tcp://127.0.0.7:0", fixed.forManager("fabric:tcp://127.0.0.5:7000"));
    }

    @Test
    void aFullAddressPerTransportWinsOverTheHost() {
        ListenAddresses both = new ListenAddresses(Map.of("tcp", "tcp://127.0.0.4:9000"), "127.0.0.7");
        assertEquals("tcp://127.0.0.4:9000", both.forManager("tcp://127.0.0.5:7000"));
        assertEquals("fabric:tcp://127.0.0.7:0", both.forManager("fabric:tcp://127.0.0.5:7000"));
    }

    @Test
    void aManagerAddressWithoutPortIsRefused() {
        ListenAddresses auto = new ListenAddresses(Map.of(), null);
        assertThrows(IllegalArgumentException.class, () -> auto.forManager("tcp://127.0.0.5"));
        assertThrows(IllegalArgumentException.class, () -> auto.forManager("tcp://127.0.0.5:x"));
    }

    @Test
    void theBuilderRejectsAPathAsHost() {
        assertThrows(IllegalArgumentException.class, () -> RfaasClient.builder().listenAddress("tcp://1.2.3.4:0"));
        assertThrows(IllegalArgumentException.class, () -> RfaasClient.builder().listenAddress(" "));
    }
}
