package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ExecutorSandbox#linkable}: whether a client's shm socket can be linked into a spare's sandbox. */
class SpareReachTest {
    @TempDir
    Path dir;

    @Test
    void aFileOnTheSameFileSystemIsLinkableAndTheProbeIsGone() throws IOException {
        Path root = Files.createDirectory(dir.resolve("sandbox"));
        Path socket = Files.writeString(dir.resolve("listener.sock"), "x");
        assertTrue(ExecutorSandbox.linkable(root, socket, "reach-1.sock"));
        assertFalse(Files.exists(root.resolve("reach-1.sock")), "the probe link is removed");
        assertEquals(1, (int) Files.getAttribute(socket, "unix:nlink"), "the socket keeps only its own name");
    }

    @Test
    void aProbeLeftBehindIsReplaced() throws IOException {
        Path root = Files.createDirectory(dir.resolve("sandbox"));
        Path socket = Files.writeString(dir.resolve("listener.sock"), "x");
        Files.writeString(root.resolve("reach-7.sock"), "left by a manager that stopped");
        assertTrue(ExecutorSandbox.linkable(root, socket, "reach-7.sock"));
        assertFalse(Files.exists(root.resolve("reach-7.sock")));
    }

    @Test
    void aMissingSocketIsNotLinkable() throws IOException {
        Path root = Files.createDirectory(dir.resolve("sandbox"));
        assertFalse(ExecutorSandbox.linkable(root, dir.resolve("gone.sock"), "reach-1.sock"));
    }

    @Test
    void aFileOnAnotherFileSystemIsNotLinkable() throws IOException {
        // /proc is never the file system of a temporary directory: link(2) fails with EXDEV there.
        Path root = Files.createDirectory(dir.resolve("sandbox"));
        assertFalse(ExecutorSandbox.linkable(root, Path.of("/proc/self/status"), "reach-1.sock"));
        assertFalse(Files.exists(root.resolve("reach-1.sock")));
    }
}
