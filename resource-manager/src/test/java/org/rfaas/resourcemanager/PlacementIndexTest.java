package org.rfaas.resourcemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The index answers exactly what each policy's reference ({@link PlacementPolicy#choose} over the
 * whole list) answers, through random grants, releases, state changes, node additions and
 * removals; and a placement over 10,000 nodes costs no scan.
 */
final class PlacementIndexTest {
    @Test
    void agreesWithTheReferenceThroughRandomChanges() {
        Random rnd = new Random(19);
        LiveState s = new LiveState();
        for (int i = 0; i < 200; i++) {
            s.putNode(String.format("n%04d", rnd.nextInt(10_000)), "h", 0, "tcp", 1 + rnd.nextInt(16), 1024L * (1 + rnd.nextInt(16)), "UP");
        }
        List<LiveState.Lease> held = new ArrayList<>();
        long id = 1;
        for (int step = 0; step < 20_000; step++) {
            int cores = 1 + rnd.nextInt(6);
            long mem = 256L * (1 + rnd.nextInt(24));
            for (PlacementPolicy p : PlacementPolicy.values()) {
                String expected = p.choose(candidates(s), cores, mem).map(PlacementPolicy.Candidate::name).orElse(null);
                LiveState.Node got = s.index.choose(p, cores, mem);
                assertEquals(expected, got == null ? null : got.name, p + " for " + cores + "/" + mem + " at step " + step);
            }
            int op = rnd.nextInt(100);
            if (op < 55) {
                LiveState.Node n = s.index.choose(PlacementPolicy.values()[rnd.nextInt(4)], cores, mem);
                if (n != null) {
                    LiveState.Lease l = new LiveState.Lease(id++, "t", n, cores, mem, 0, 1000 + rnd.nextInt(1000));
                    s.take(l);
                    held.add(l);
                }
            } else if (op < 90 && !held.isEmpty()) {
                LiveState.Lease l = held.remove(rnd.nextInt(held.size()));
                if (s.leases.containsKey(l.id)) {
                    s.end(l, "RELEASED", "r", 0, 1);
                }
            } else if (op < 95) {
                List<LiveState.Node> all = new ArrayList<>(s.nodes.values());
                LiveState.Node n = all.get(rnd.nextInt(all.size()));
                s.setState(n, rnd.nextBoolean() ? "UP" : "DRAINING");
            } else if (op < 98) {
                s.putNode(String.format("n%04d", rnd.nextInt(10_000)), "h", 0, "tcp", 1 + rnd.nextInt(16), 1024L * (1 + rnd.nextInt(16)), "UP");
            } else {
                List<LiveState.Node> all = new ArrayList<>(s.nodes.values());
                LiveState.Node n = all.get(rnd.nextInt(all.size()));
                if (n.leases.isEmpty()) {
                    s.removeNode(n);
                }
            }
        }
    }

    @Test
    void hiddenNodesAreSkippedAndComeBack() {
        LiveState s = new LiveState();
        LiveState.Node a = s.putNode("a", "h", 0, "tcp", 4, 4096, "UP");
        s.putNode("b", "h", 0, "tcp", 4, 4096, "UP");
        s.hide(a);
        assertEquals("b", s.index.choose(PlacementPolicy.FIRST_FIT, 1, 1).name);
        s.unhide(a);
        assertEquals("a", s.index.choose(PlacementPolicy.FIRST_FIT, 1, 1).name);
    }

    @Test
    void tenThousandNodesPlaceQuickly() {
        LiveState s = new LiveState();
        for (int i = 0; i < 10_000; i++) {
            s.putNode(String.format("node%05d", i), "h", 0, "tcp", 64, 256L * 1024, "UP");
        }
        // fill the first 9,990 nodes: first-fit must skip them without looking at each
        long id = 1;
        for (LiveState.Node n : new ArrayList<>(s.nodes.values()).subList(0, 9_990)) {
            s.take(new LiveState.Lease(id++, "t", n, 64, 1024, 0, 1));
        }
        for (PlacementPolicy p : PlacementPolicy.values()) {
            s.index.choose(p, 1, 1); // warm
        }
        long t0 = System.nanoTime();
        int rounds = 20_000;
        for (int i = 0; i < rounds; i++) {
            LiveState.Node n = s.index.choose(PlacementPolicy.values()[i % 4], 1, 1);
            assertTrue(n.name.compareTo("node09990") >= 0);
        }
        double perChoiceUs = (System.nanoTime() - t0) / 1e3 / rounds;
        // a scan of 10,000 nodes takes tens of microseconds; the index a fraction of one (generous bound for a loaded machine)
        assertTrue(perChoiceUs < 20, "placement took " + perChoiceUs + " µs");
    }

    private static List<PlacementPolicy.Candidate> candidates(LiveState s) {
        List<PlacementPolicy.Candidate> out = new ArrayList<>();
        for (LiveState.Node n : s.nodes.values()) {
            if (n.placeable()) {
                out.add(new PlacementPolicy.Candidate(n.name, n.freeCores(), n.freeMemoryMiB()));
            }
        }
        return out;
    }
}
