package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManagerRehearsalTest {
    @TempDir
    Path dir;

    /** The rehearsal runs in the manager's work directory: it must leave nothing there. */
    @Test
    void leavesNothingInItsScratchDirectory() throws Exception {
        ManagerRehearsal.run(dir);
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.toList());
        }
    }
}
