package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The executor's class path is its module's dependencies, and nothing of the benchmark peers. */
class ExecutorClassPathTest {
    /** Jars an executor must never get: the benchmark peers and the manager's own dependencies. */
    private static final Pattern FOREIGN = Pattern.compile(
            "grpc|protobuf|netty|hazelcast|javalin|jetty|xchart|picocli|rfaas-executor-manager|rfaas-client"
                    + "|rfaas-benchmarks|rfaas-cli|executor-manager/target|client/target|benchmarks/target");

    @TempDir
    Path dir;

    @Test
    void fromTheReactorItIsTheExecutorModulesDependencies() {
        ExecutorClassPath cp = ExecutorClassPath.compute();
        assertTrue(cp.slim(), "the executor module's dependency list was not found or not complete");
        List<String> entries = Arrays.asList(cp.classPath().split(File.pathSeparator));
        for (String needed : List.of("executor", "protocol", "transport-shm", "transport-tcp", "transport-fabric",
                "function-api", "logback-classic", "slf4j-api")) {
            assertTrue(entries.stream().anyMatch(e -> e.contains(needed)), needed + " missing from " + entries);
        }
        for (String e : entries) {
            assertTrue(!FOREIGN.matcher(e).find(), "executor class path has " + e);
            assertTrue(Files.exists(Path.of(e)), e + " does not exist");
        }
        // The manager's own class path (this test's) does hold what the executor must not get.
        assertTrue(System.getProperty("java.class.path").contains("executor-manager"));
    }

    @Test
    void inAPackagedLibDirectoryOnlyTheListedJarsAreTaken() throws Exception {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        Path self = Files.createFile(lib.resolve("rfaas-executor-1.jar"));
        for (String jar : List.of("rfaas-protocol-1.jar", "logback-classic-1.5.jar", "grpc-core-1.70.jar",
                "hazelcast-5.5.jar", "javalin-6.jar")) {
            Files.createFile(lib.resolve(jar));
        }
        String cp = ExecutorClassPath.resolve(self, List.of("lib/rfaas-protocol-1.jar", "lib/logback-classic-1.5.jar"),
                List.of("/nonexistent/rfaas-protocol-1.jar"));
        assertEquals(String.join(File.pathSeparator, self.toString(), lib.resolve("rfaas-protocol-1.jar").toString(),
                lib.resolve("logback-classic-1.5.jar").toString()), cp);
        assertTrue(!FOREIGN.matcher(cp).find(), cp);
    }

    @Test
    void aMissingDependencyFallsBackToTheBuildPathsOrToNothing() throws Exception {
        Path self = Files.createFile(dir.resolve("rfaas-executor-1.jar"));
        Path built = Files.createFile(dir.resolve("built.jar"));
        assertEquals(self + File.pathSeparator + built,
                ExecutorClassPath.resolve(self, List.of("lib/missing.jar"), List.of(built.toString())));
        assertNull(ExecutorClassPath.resolve(self, List.of("lib/missing.jar"), List.of("/nonexistent.jar")));
        assertNull(ExecutorClassPath.resolve(self, null, null));
    }
}
