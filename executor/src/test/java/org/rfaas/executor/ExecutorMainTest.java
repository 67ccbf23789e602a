package org.rfaas.executor;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** An executor's command line names its manager and nothing lease-specific. */
class ExecutorMainTest {
    @Test
    void takesTheManagerAndTheSpareFlagOnly() {
        assertNotNull(ExecutorMain.parse(new String[] {"--manager", "tcp://127.0.0.1:1"}, "5"));
        assertNotNull(ExecutorMain.parse(new String[] {"--manager", "tcp://127.0.0.1:1", "--spare"}, "5"));
        // A spare may be told the node's client transports to open while it waits.
        assertNotNull(ExecutorMain.parse(new String[] {"--manager", "tcp://127.0.0.1:1", "--spare", "--preload",
                "fabric:tcp,shm"}, "5"));
        // ... and the node's most recent package, by digest and path.
        String pkg = "ab".repeat(32) + ":/rfaas/preload-package";
        assertNotNull(ExecutorMain.parse(new String[] {"--manager", "tcp://127.0.0.1:1", "--spare", "--preload",
                "fabric:tcp", "--preload-package", pkg}, "5"));
        assertNotNull(ExecutorMain.parse(new String[] {"--manager", "tcp://127.0.0.1:1", "--spare",
                "--preload-package", pkg}, "5"));
        for (String[] bad : new String[][] {{}, {"--manager"}, {"--spare", "--manager", "tcp://127.0.0.1:1"},
                {"--manager", "tcp://127.0.0.1:1", "--preload", "shm"},
                {"--manager", "tcp://127.0.0.1:1", "--spare", "--preload", "carrier-pigeon"},
                {"--manager", "tcp://127.0.0.1:1", "--spare", "--preload"},
                {"--manager", "tcp://127.0.0.1:1", "--preload-package", pkg},
                {"--manager", "tcp://127.0.0.1:1", "--spare", "--preload-package", "abc:/x"},
                {"--manager", "tcp://127.0.0.1:1", "--spare", "--preload-package", "ab".repeat(32) + ":"},
                {"--manager", "tcp://127.0.0.1:1", "--spare", "--preload-package", pkg, "--preload", "shm"},
                {"--manager", "tcp://127.0.0.1:1", "--hot-timeout-us", "5"}, {"--lease-id", "1", "--manager", "x"}}) {
            assertThrows(IllegalArgumentException.class, () -> ExecutorMain.parse(bad, "5"), String.join(" ", bad));
        }
        assertThrows(IllegalArgumentException.class,
                () -> ExecutorMain.parse(new String[] {"--manager", "tcp://127.0.0.1:1"}, null));
        assertThrows(IllegalArgumentException.class,
                () -> ExecutorMain.parse(new String[] {"--manager", "tcp://127.0.0.1:1"}, "x"));
    }
}
