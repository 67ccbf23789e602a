package org.rfaas.systemtests;

import java.nio.file.Path;
import java.util.List;
import org.rfaas.client.ExecutorNode;
import org.rfaas.client.ExecutorsDatabase;

/** Helpers shared by the system tests. */
final class SystemTestSupport {
    private SystemTestSupport() {
    }

    /** Child JVMs log to stderr with one config, so no logback status noise reaches their stdout. */
    static final String CHILD_LOGGING = "-Dlogback.configurationFile=rfaas-executor-logback.xml";

    static Path tempDir(String prefix) throws java.io.IOException {
        return java.nio.file.Files.createTempDirectory("rfaas-" + prefix);
    }

    /** Deletes a test directory; failures are printed, never hidden. */
    static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (var paths = java.nio.file.Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.deleteIfExists(p);
            }
        } catch (java.io.IOException e) {
            System.err.println("cannot delete " + dir + ": " + e);
        }
    }

    static String managerConfig(String node, String listen, int cores, long memoryMiB, Path workDir, long graceMillis) {
        return """
                {"node": "%s", "listen": ["%s"], "cores": %d, "memoryMiB": %d, "workDir": "%s",
                 "gracePeriodMillis": %d, "flushIntervalMillis": 50}
                """.formatted(node, listen, cores, memoryMiB, workDir.toString().replace("\\", "\\\\"), graceMillis);
    }

    static ExecutorsDatabase database(String node, String address, int cores, long memoryMiB) {
        return new ExecutorsDatabase(List.of(new ExecutorNode(node, address, cores, memoryMiB)));
    }
}
