package org.rfaas.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class PendingHandshakesTest {
    private record Peer(String source, int n) {
    }

    private final PendingHandshakes<Peer> pending = new PendingHandshakes<>(4, 2, Peer::source);

    @Test
    void aSourceAtItsLimitPushesOutItsOwnOldest() {
        assertNull(pending.add(new Peer("a", 1)));
        assertNull(pending.add(new Peer("b", 1)));
        assertNull(pending.add(new Peer("a", 2)));
        assertEquals(new Peer("a", 1), pending.add(new Peer("a", 3)));
        assertEquals(2, pending.fromSource("a"));
        assertEquals(List.of(new Peer("b", 1), new Peer("a", 2), new Peer("a", 3)), list());
    }

    @Test
    void aFullSetPushesOutTheOldestOfAll() {
        pending.add(new Peer("a", 1));
        pending.add(new Peer("b", 1));
        pending.add(new Peer("c", 1));
        pending.add(new Peer("d", 1));
        assertEquals(new Peer("a", 1), pending.add(new Peer("e", 1)));
        assertEquals(0, pending.fromSource("a"));
        assertEquals(4, pending.size());
    }

    @Test
    void removingThroughTheIteratorUncounts() {
        pending.add(new Peer("a", 1));
        pending.add(new Peer("a", 2));
        for (Iterator<Peer> it = pending.iterator(); it.hasNext();) {
            if (it.next().n() == 1) {
                it.remove();
            }
        }
        assertEquals(1, pending.fromSource("a"));
        assertNull(pending.add(new Peer("a", 3)), "room again for a");
        assertEquals(List.of(new Peer("a", 2), new Peer("a", 3)), pending.clear());
        assertEquals(0, pending.size());
        assertEquals(0, pending.fromSource("a"));
    }

    private List<Peer> list() {
        List<Peer> out = new ArrayList<>();
        pending.forEach(out::add);
        return out;
    }
}
