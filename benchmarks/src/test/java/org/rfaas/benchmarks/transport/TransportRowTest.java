package org.rfaas.benchmarks.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.rfaas.benchmarks.common.JsonRows;
import org.rfaas.demo.support.LatencyStats;
import org.rfaas.benchmarks.common.Placement;
import org.junit.jupiter.api.Test;

/** The table and JSON forms of benchmark rows. */
class TransportRowTest {
    private static final RoundPairs.Selection NEAR = selection(110, 120, 115);
    private static final RoundPairs.Selection MOVED = selection(110, 470, 480);

    /** Three pairs with placement probes {@code a}, {@code b}, {@code c} around each. */
    private static RoundPairs.Selection selection(long a, long b, long c) {
        RoundPairs pairs = new RoundPairs(false);
        LatencyStats s = new LatencyStats(1, 1, 1, 1, 1, 1);
        for (int i = 0; i < 3; i++) {
            pairs.add(new RoundPairs.Pair(s, null, new Placement.Sample(a, null), new Placement.Sample(b, null),
                    new Placement.Sample(c, null)));
        }
        return pairs.select();
    }

    private final TransportRow withC = new TransportRow("shm", Mode.HOT, 8, new LatencyStats(1000, 90, 150, 160, 300, 9000),
            new LatencyStats(1000, 80, 120, 125, 200, 5000), "C shm busy-poll", NEAR);
    private final TransportRow withoutC = new TransportRow("fabric:tcp", Mode.WARM, 1024 * 1024,
            new LatencyStats(50, 400_000, 500_000, 510_000, 900_000, 1_000_000), null, "skipped", MOVED);

    @Test
    void jsonHasExactlyTheDocumentedFieldsInOrder() throws Exception {
        JsonNode array = new ObjectMapper().readTree(JsonRows.toJson(TransportBenchmark.jsonRows(List.of(withC, withoutC))));
        assertEquals(2, array.size());
        List<String> names = new ArrayList<>();
        array.get(0).fieldNames().forEachRemaining(names::add);
        assertEquals(List.of("provider", "mode", "bytes", "median_ns", "p99_ns", "baseline_median_ns", "ratio"), names);
        JsonNode a = array.get(0);
        assertEquals("shm", a.get("provider").asText());
        assertEquals("hot", a.get("mode").asText());
        assertEquals(8, a.get("bytes").asInt());
        assertEquals(150, a.get("median_ns").asLong());
        assertEquals(300, a.get("p99_ns").asLong());
        assertEquals(120, a.get("baseline_median_ns").asLong());
        assertEquals(1.25, a.get("ratio").asDouble(), 1e-9);
        JsonNode b = array.get(1);
        assertEquals("warm", b.get("mode").asText());
        assertEquals(1048576, b.get("bytes").asInt());
        assertTrue(b.get("baseline_median_ns").isNull());
        assertTrue(b.get("ratio").isNull());
    }

    @Test
    void tableShowsSizesRatiosAndThePlacementOfThePairsUsed() {
        String table = TransportBenchmark.render(List.of(withC, withoutC));
        List<String> lines = table.lines().toList();
        assertEquals(4, lines.size(), table);
        assertTrue(lines.get(0).matches("provider\\s+mode\\s+bytes.*"), table);
        assertTrue(lines.get(2).matches("shm\\s+hot\\s+8 B\\s+150 ns\\s+300 ns\\s+120 ns\\s+200 ns\\s+1\\.25x\\s+C shm busy-poll\\s+near 110-120 ns"), lines.get(2));
        assertTrue(lines.get(3).contains("1 MiB") && lines.get(3).contains("500.0 us") && lines.get(3).contains(" - "), lines.get(3));
        assertTrue(lines.get(3).endsWith("mixed (0/3 pairs)"), lines.get(3));
    }
}
