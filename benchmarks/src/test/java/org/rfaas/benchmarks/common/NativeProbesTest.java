package org.rfaas.benchmarks.common;

import org.rfaas.demo.support.LatencyStats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiles a C probe into a fresh cache, runs it briefly and parses what it prints. */
class NativeProbesTest {

    @TempDir
    Path cache;

    @Test
    void compilesRunsAndParsesTheTcpProbeThenReusesTheBinary() throws Exception {
        NativeProbes probes = NativeProbes.inCache(cache);
        Probe tcp = probes.probe("tcp_probe");
        Assumptions.assumeTrue(tcp.isAvailable(), () -> "SKIP: " + tcp.unavailableReason());

        // blocking sockets, unpinned: sleeps rather than spins, so it is robust on a loaded machine
        ProbeOutput out = tcp.run(List.of("block", "64", "200", "20", "-1", "-1"), Duration.ofSeconds(60));
        ProbeOutput.Result r = assertInstanceOf(ProbeOutput.Result.class, out, () -> "got " + out);
        assertEquals("tcp_blocking", r.label());
        assertEquals(64, r.payload());
        LatencyStats s = r.rtt();
        assertEquals(200, s.count());
        assertTrue(0 < s.minNs() && s.minNs() <= s.medianNs() && s.medianNs() <= s.p99Ns() && s.p99Ns() <= s.maxNs(),
                () -> "statistics out of order: " + s);

        FileTime built = Files.getLastModifiedTime(tcp.executable());
        Probe again = NativeProbes.inCache(cache).probe("tcp_probe");
        assertEquals(tcp.executable(), again.executable(), "same sources must map to the same cache directory");
        assertEquals(built, Files.getLastModifiedTime(again.executable()), "a cached binary must not be rebuilt");
    }

    @Test
    void aMissingCompilerMakesProbesUnavailableWithAClearReason() {
        String old = System.setProperty(NativeProbes.CC_PROPERTY, "no-such-compiler-rfaas");
        try {
            Probe p = NativeProbes.inCache(cache).probe("shm_probe");
            assertFalse(p.isAvailable());
            assertTrue(p.unavailableReason().startsWith("no-such-compiler-rfaas not found"), p.unavailableReason());
            ProbeOutput out = p.run(List.of(), Duration.ofSeconds(1));
            assertEquals(new ProbeOutput.Skip(p.unavailableReason()), out);
        } finally {
            if (old == null) {
                System.clearProperty(NativeProbes.CC_PROPERTY);
            } else {
                System.setProperty(NativeProbes.CC_PROPERTY, old);
            }
        }
    }

    @Test
    void anUnknownProbeIsUnavailableWithAReasonAndRunsAsASkip() {
        Probe p = NativeProbes.inCache(cache).probe("no_such_probe");
        assertFalse(p.isAvailable());
        assertTrue(p.unavailableReason().contains("no_such_probe.c"), p.unavailableReason());
        assertInstanceOf(ProbeOutput.Skip.class, p.run(List.of(), Duration.ofSeconds(1)));
    }
}
