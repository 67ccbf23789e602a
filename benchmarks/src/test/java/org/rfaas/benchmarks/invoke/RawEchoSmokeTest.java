package org.rfaas.benchmarks.invoke;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.rfaas.benchmarks.suite.RoundTrip;
import org.rfaas.benchmarks.suite.SuiteSubjects;

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The raw ping-pong echoes byte for byte in both modes and stops its server process. */
class RawEchoSmokeTest {

    @ParameterizedTest
    @CsvSource({"shm,hot", "shm,warm", "tcp,hot", "tcp,warm"})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void echoesAndStops(String transport, String mode) throws Exception {
        assumeTrue(!SuiteSubjects.available(List.of(transport)).isEmpty(), transport + " provider not on the class path");
        Set<Long> before = children();
        Set<Long> started;
        try (RoundTrip rt = RawEcho.start(transport, mode)) {
            started = children();
            started.removeAll(before);
            for (int bytes : List.of(1, 1024, 1 << 20)) {
                rt.prepare(bytes);
                for (int i = 0; i < 20; i++) {
                    assertEquals(bytes, rt.call());
                }
            }
        }
        for (long pid : started) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "echo server " + pid + " stopped");
        }
    }

    private static Set<Long> children() {
        return ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .map(ProcessHandle::pid).collect(Collectors.toCollection(java.util.HashSet::new));
    }
}
