package org.rfaas.benchmarks.invoke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bandwidth table and targets of {@code rfaas bench invoke}. */
final class BandwidthTableTest {

    private static InvokeRow row(String provider, int bytes, long ours, long raw) {
        return new InvokeRow(provider, "hot", bytes, ours, 2 * ours, raw, 2 * raw, ours - raw, 100);
    }

    @Test
    void largeRowsGetBandwidthsAndAFractionOfRaw() {
        List<InvokeRow> rows = List.of(
                row("shm", 1024, 1_000, 500), // latency only
                row("shm", 5 << 20, 440_000, 400_000), // 91 %
                row("tcp", 16 << 20, 20_000_000, 16_000_000), // 80 %
                new InvokeRow("tcp", "cold", 0, 60_000_000, 90_000_000, null, null, null, 10));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BenchInvoke.printBandwidth(rows, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        // 5 MiB in 220 us one way: 23.83 GB/s; raw 200 us: 26.21 GB/s.
        assertTrue(out.contains("23.83 GB/s") && out.contains("26.21 GB/s"), out);
        assertTrue(out.contains("target shm        hot    5 MiB: bandwidth rFaaS/raw 91% (want >= 90%): MET"), out);
        assertTrue(out.contains("target tcp        hot   16 MiB: bandwidth rFaaS/raw 80% (want >= 90%): MISSED"), out);
        assertFalse(out.contains("1 KiB"), out);
        assertFalse(out.contains("cold"), out);
        assertEquals(0.8, rows.get(2).bandwidthFraction(), 1e-9);
        assertNull(rows.get(3).bandwidthFraction());
    }

    /**
     * The fraction comes from the paired overhead (the median of per-round differences), not from
     * the two medians of rounds, which a load shift during a few rounds moves apart.
     */
    @Test
    void theFractionFollowsThePairedOverhead() {
        // medians of rounds 40 us (rFaaS) vs 34 us (raw), but the paired rounds differ by 3.4 us
        InvokeRow r = new InvokeRow("tcp", "hot", 64 << 10, 40_000, 120_000, 34_000L, 100_000L, 3_400L, 100);
        assertEquals(34_000.0 / 37_400, r.bandwidthFraction(), 1e-9);
        assertNull(new InvokeRow("tcp", "hot", 64 << 10, 40_000, 120_000, 0L, 0L, 3_400L, 100).bandwidthFraction());
    }
}
