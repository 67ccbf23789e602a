package org.rfaas.benchmarks.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.rfaas.benchmarks.common.NativeProbes;
import org.rfaas.benchmarks.common.Probe;
import org.rfaas.benchmarks.common.ProbeOutput;

/**
 * The libfabric C reference must do the same work as the Java ping-pong it is compared with: its
 * pong echoes the bytes it received (the probe's ping checks the echo against what it sent and
 * exits with 2 otherwise). A pong that answers from a separate buffer moves fewer cache lines
 * between the CPUs and made the reference up to 3x faster at 64 KiB over shm.
 */
class FiProbeEchoTest {

    @TempDir
    Path cache;

    @ParameterizedTest
    @CsvSource({"shm, rma, 65536", "shm, msg, 65536", "shm, rma, 8", "tcp, rma, 8"})
    void pongEchoesWhatItReceived(String provider, String mode, int bytes) {
        Probe fi = NativeProbes.inCache(cache).probe("fi_probe");
        Assumptions.assumeTrue(fi.isAvailable(), () -> "SKIP: " + fi.unavailableReason());
        // unpinned and short: robust on a loaded machine; a wrong echo fails the run (exit 2)
        ProbeOutput out = fi.run(List.of(provider, mode, Integer.toString(bytes), "50", "-1", "-1"),
                Duration.ofSeconds(60));
        Assumptions.assumeFalse(out instanceof ProbeOutput.Skip, () -> "SKIP: " + out);
        ProbeOutput.Result r = assertInstanceOf(ProbeOutput.Result.class, out, () -> "got " + out);
        assertEquals(bytes, r.payload());
        assertEquals(50, r.rtt().count());
    }
}
