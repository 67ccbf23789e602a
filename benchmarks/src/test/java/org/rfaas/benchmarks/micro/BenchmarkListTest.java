package org.rfaas.benchmarks.micro;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The JMH annotation processor ran during the normal build (javac 23+ skips class-path processors
 * unless named): without META-INF/BenchmarkList {@code rfaas bench micro} finds no benchmarks.
 * Does not run JMH itself (too slow for the suite).
 */
class BenchmarkListTest {
    @Test
    void benchmarkListNamesEveryMicroBenchmark() throws IOException {
        String list;
        try (InputStream in = ProtocolBench.class.getResourceAsStream("/META-INF/BenchmarkList")) {
            assertNotNull(in, "META-INF/BenchmarkList is missing: the JMH annotation processor did not run");
            list = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String[][] expected = {
            {"org.rfaas.benchmarks.micro.ProtocolBench", "invocationEncodeValidate"},
            {"org.rfaas.benchmarks.micro.ProtocolBench", "replyEncodeValidate"},
            {"org.rfaas.benchmarks.micro.ConnectionBench", "writePoll64"},
        };
        for (String[] e : expected) {
            assertTrue(list.lines().anyMatch(l -> l.contains(" " + e[0] + " ") && l.contains(" " + e[1] + " ")),
                    "BenchmarkList does not list " + e[0] + "." + e[1] + ":\n" + list);
        }
        assertTrue(list.contains("--enable-native-access=ALL-UNNAMED"), "forks must get native access for FFM providers");
    }
}
