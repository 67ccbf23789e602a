package org.rfaas.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** An executor's command line names its manager and nothing lease-specific (at most the file its assignment is in). */
class ExecutorMainTest {
    @Test
    void takesTheManagerAndTheSpareFlagOrTheAssignmentFileOnly() {
        assertNotNull(ExecutorMain.parse(new String[] {"--manager", "tcp://127.0.0.1:1"}, "5"));
        assertNotNull(ExecutorMain.parse(new String[] {"--manager", "tcp://127.0.0.1:1", "--spare"}, "5"));
        // A spare may be told the node's client transports to open while it waits.
        assertNotNull(ExecutorMain.parse(new String[] {"--manager", "tcp://127.0.0.1:1", "--spare", "--preload",
                "fabric:tcp,shm"}, "5"));
        // ... by listen address, as the manager names them (the host is where it prepares connections from).
        assertNotNull(ExecutorMain.parse(new String[] {"--manager", "tcp://127.0.0.1:1", "--spare", "--preload",
                "fabric:tcp://198.18.0.2:7001,shm:/tmp/n0.sock"}, "5"));
        // ... and the node's most recent package, by digest and path.
        String pkg = "ab".repeat(32) + ":/rfaas/preload-package";
        assertNotNull(ExecutorMain.parse(new String[] {"--manager", "tcp://127.0.0.1:1", "--spare", "--preload",
                "fabric:tcp", "--preload-package", pkg}, "5"));
        assertNotNull(ExecutorMain.parse(new String[] {"--manager", "tcp://127.0.0.1:1", "--spare",
                "--preload-package", pkg}, "5"));
        // One forked for its lease is told where the manager wrote its assignment (read when it runs).
        assertNotNull(ExecutorMain.parse(new String[] {"--manager", "tcp://127.0.0.1:1", "--assignment",
                "/rfaas/assignment"}, "5"));
        for (String[] bad : new String[][] {{}, {"--manager"}, {"--spare", "--manager", "tcp://127.0.0.1:1"},
                {"--manager", "tcp://127.0.0.1:1", "--preload", "shm"},
                {"--manager", "tcp://127.0.0.1:1", "--spare", "--preload", "carrier-pigeon"},
                {"--manager", "tcp://127.0.0.1:1", "--spare", "--preload"},
                {"--manager", "tcp://127.0.0.1:1", "--preload-package", pkg},
                {"--manager", "tcp://127.0.0.1:1", "--spare", "--preload-package", "abc:/x"},
                {"--manager", "tcp://127.0.0.1:1", "--spare", "--preload-package", "ab".repeat(32) + ":"},
                {"--manager", "tcp://127.0.0.1:1", "--spare", "--preload-package", pkg, "--preload", "shm"},
                {"--manager", "tcp://127.0.0.1:1", "--hot-timeout-us", "5"}, {"--lease-id", "1", "--manager", "x"},
                {"--manager", "tcp://127.0.0.1:1", "--spare", "--assignment", "/rfaas/assignment"},
                {"--manager", "tcp://127.0.0.1:1", "--assignment"},
                {"--manager", "tcp://127.0.0.1:1", "--assignment", "/rfaas/assignment", "--spare"}}) {
            assertThrows(IllegalArgumentException.class, () -> ExecutorMain.parse(bad, "5"), String.join(" ", bad));
        }
        assertThrows(IllegalArgumentException.class,
                () -> ExecutorMain.parse(new String[] {"--manager", "tcp://127.0.0.1:1"}, null));
        assertThrows(IllegalArgumentException.class,
                () -> ExecutorMain.parse(new String[] {"--manager", "tcp://127.0.0.1:1"}, "x"));
    }

    @Test
    void aPreloadEntryNamesItsTransportAndANumericHostToPrepareFrom() {
        assertEquals("fabric:tcp", PreloadHints.transportName("fabric:tcp://198.18.0.2:7001"));
        assertEquals("fabric:tcp", PreloadHints.transportName("fabric:tcp"));
        assertEquals("shm", PreloadHints.transportName("shm:/tmp/n0.sock"));
        assertEquals("tcp", PreloadHints.transportName("tcp://[::1]:7000"));
        assertEquals("198.18.0.2", PreloadHints.numericHost("fabric:tcp://198.18.0.2:7001"));
        assertEquals("::1", PreloadHints.numericHost("tcp://[::1]:7000"));
        assertNull(PreloadHints.numericHost("fabric:tcp://0.0.0.0:7001"), "a wildcard says nothing about the route");
        assertNull(PreloadHints.numericHost("tcp://node7:7000"), "names are not resolved");
        assertNull(PreloadHints.numericHost("shm:/tmp/n0.sock"));
        assertNull(PreloadHints.numericHost("fabric:tcp"));
    }
}
