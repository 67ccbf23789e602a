package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code rfaas demo --cluster} as a user runs it, in a child JVM running the CLI: the 5-host
 * namespace cluster with Slurm, hot/warm/cold rows for three hosts, the pushed revocation heard by
 * the application when a Slurm job takes a node, the node back, exit 0 and nothing left behind.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusterDemoSystemTest {

    @Test
    void clusterDemoRunsAcrossThreeHostsTellsTheApplicationOfTheSlurmJobAndLeavesNothing() throws Exception {
        ClusterFixture.assumeAvailable();
        Path repo = Path.of(System.getProperty("user.dir")).getParent();
        Path tmp = SystemTestSupport.tempDir("cluster-demo");
        try {
            Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                    "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", SystemTestSupport.CHILD_LOGGING,
                    "-Drfaas.launcher=" + repo.resolve("rfaas"), "-cp", System.getProperty("java.class.path"),
                    "org.rfaas.cli.Main", "demo", "--cluster").redirectErrorStream(true)
                    .redirectOutput(tmp.resolve("demo.out").toFile()).start();
            assertTrue(p.waitFor(200, TimeUnit.SECONDS), "demo --cluster did not finish");
            String out = Files.readString(tmp.resolve("demo.out"), StandardCharsets.UTF_8);
            System.out.println(out);
            assertEquals(0, p.exitValue(), out);
            for (String host : List.of("rfx-h2", "rfx-h3", "rfx-h4")) {
                for (String kind : List.of("hot", "warm")) {
                    assertTrue(Pattern.compile("(?m)^" + host + " +java +" + kind + " ").matcher(out).find(), host + " " + kind);
                    assertTrue(Pattern.compile("(?m)^" + host + " +native +" + kind + " ").matcher(out).find(), host + " " + kind);
                }
            }
            assertTrue(out.contains("the application's lease listener heard: revoked"), out);
            assertTrue(out.contains("a call on the revoked lease: error LeaseRevokedException"), out);
            assertTrue(Pattern.compile("job COMPLETED; (rfx-h\\d) is UP again and the next lease \\(\\d+\\) is placed on \\1")
                    .matcher(out).find(), out);
            assertTrue(out.contains("nothing left behind"), out);
        } finally {
            SystemTestSupport.deleteTree(tmp);
        }
    }
}
