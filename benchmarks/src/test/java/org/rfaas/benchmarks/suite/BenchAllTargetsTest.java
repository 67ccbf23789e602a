package org.rfaas.benchmarks.suite;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.rfaas.demo.support.LatencyStats;

/** The target lines of {@code bench all}, including the TCP floor read against them. */
final class BenchAllTargetsTest {

    private static LatencyStats median(long ns) {
        return new LatencyStats(1000, ns, ns, ns, ns * 2, ns * 3);
    }

    private static String targets(Report report) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BenchAll.printTargets(report, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static Report report(long rfaasTcpNs, long grpcNs) {
        Report report = new Report();
        report.add(Row.latency("rfaas", "tcp", "hot", 1024, median(rfaasTcpNs)));
        report.add(Row.latency("grpc", "tcp", "default", 1024, median(grpcNs)));
        return report;
    }

    @Test
    void aTargetBeyondTheTcpFloorIsNamedOutOfReach() {
        Report report = report(11_000, 140_000);
        report.note(BenchAll.TCP_FLOOR_NOTE, Map.of("median_ns", 8_300L, "p99_ns", 12_000L));
        String out = targets(report);
        assertTrue(out.contains("target: grpc median at 1 KiB / rFaaS tcp hot") && out.contains("MISSED"), out);
        assertTrue(out.contains("TCP floor here: fastest TCP loopback round trip at 1 KiB in this run = "
                + Report.time(8_300) + " (C busy-poll probe " + Report.time(8_300) + ")"), out);
        assertTrue(out.contains("more than 17x") && out.contains("out of reach over TCP loopback"), out);
    }

    @Test
    void aReachableTargetIsNotCalledOutOfReach() {
        Report report = report(5_000, 200_000);
        report.note(BenchAll.TCP_FLOOR_NOTE, Map.of("median_ns", 4_000L, "p99_ns", 6_000L));
        String out = targets(report);
        assertTrue(out.contains("MET"), out);
        assertTrue(out.contains("more than 50x"), out);
        assertFalse(out.contains("out of reach"), out);
    }

    @Test
    void aFasterJavaRowLowersTheFloor() {
        // The C probe ran on a worse moment than the rows: the floor is the fastest seen.
        Report report = report(10_600, 173_800);
        report.note(BenchAll.TCP_FLOOR_NOTE, Map.of("median_ns", 14_000L, "p99_ns", 20_000L));
        String out = targets(report);
        assertTrue(out.contains("in this run = " + Report.time(10_600) + " (C busy-poll probe " + Report.time(14_000) + ")"),
                out);
        assertTrue(out.contains("more than 16x"), out);
    }

    @Test
    void bandwidthRowsAreComparedWithRawAtTheSameProviderModeAndSize() {
        Report report = new Report();
        // 5 MiB: rFaaS 440 us against raw 400 us (91%); 16 MiB: 2 ms against 1.6 ms (80%).
        report.add(Row.latency("raw", "shm", "hot", 5 << 20, median(400_000)));
        report.add(Row.latency("rfaas", "shm", "hot", 5 << 20, median(440_000)));
        report.add(Row.latency("raw", "shm", "hot", 16 << 20, median(1_600_000)));
        report.add(Row.latency("rfaas", "shm", "hot", 16 << 20, median(2_000_000)));
        report.add(Row.latency("rfaas", "tcp", "hot", 5 << 20, median(1_000_000))); // no raw row: no comparison
        report.add(Row.latency("rfaas", "shm", "hot", 1024, median(1_000))); // below the bandwidth sizes
        BenchAll.deriveBandwidth(report);
        String out = targets(report);
        assertTrue(out.contains("target: rFaaS/raw bandwidth shm hot 5 MiB = 91% (want >= 90%): MET"), out);
        assertTrue(out.contains("target: rFaaS/raw bandwidth shm hot 16 MiB = 80% (want >= 90%): MISSED"), out);
        assertFalse(out.contains("bandwidth tcp"), out);
        assertFalse(out.contains("1 KiB ="), out);
    }

    @Test
    void withoutTheCReferenceThereIsNoFloorLine() {
        String out = targets(report(11_000, 140_000));
        assertTrue(out.contains("MISSED"), out);
        assertFalse(out.contains("TCP floor"), out);
    }
}
