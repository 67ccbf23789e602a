package org.rfaas.transport.fabric;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StaleShmRegionsTest {

    @Test
    void removesOnlyRegionsOfProcessesThatAreGone(@TempDir Path dir) throws Exception {
        Process done = new ProcessBuilder("true").start();
        done.waitFor();
        long deadPid = done.pid();
        long livePid = ProcessHandle.current().pid();
        Path stale = Files.writeString(dir.resolve(deadPid + ":0:0"), "x");
        Path live = Files.writeString(dir.resolve(livePid + ":0:0"), "x");
        Path other = Files.writeString(dir.resolve("rfaas-shm-" + deadPid + "-1"), "x");
        Path notARegion = Files.createDirectory(dir.resolve(deadPid + ":1:0"));

        assertEquals(1, StaleShmRegions.sweep(dir));
        assertFalse(Files.exists(stale), "the dead process's region is removed");
        assertTrue(Files.exists(live), "a live process's region stays");
        assertTrue(Files.exists(other), "files of another naming scheme stay");
        assertTrue(Files.exists(notARegion), "directories stay");
    }
}
