package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterSecretTest {
    private static ExecutorManagerConfig withResourceManager(Path dir) {
        return new ExecutorManagerConfig("n", List.of("tcp://127.0.0.1:0"), 1, 256, dir, 0, 0, 0, null, null,
                new ResourceManagerLinkConfig(URI.create("http://127.0.0.1:1"), 0), 0, 0L, null, false, null);
    }

    @Test
    void aManagerWithoutASecretGeneratesOneStoresItOwnerOnlyAndSaysWhere(@TempDir Path dir) throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        String first;
        try (ExecutorManager m = new ExecutorManager(withResourceManager(dir), null)) {
            first = m.config().clusterSecret();
        } finally {
            System.setOut(out);
        }
        assertNotNull(first);
        assertTrue(first.length() >= 40, first);
        Path file = dir.resolve(ClusterSecret.FILE_NAME);
        assertEquals(first, Files.readString(file).strip());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        String line = printed.toString(StandardCharsets.UTF_8);
        assertTrue(line.contains("generated") && line.contains(file.toString()), line);

        // The next start reads the same secret, so issued tokens stay valid.
        try (ExecutorManager again = new ExecutorManager(withResourceManager(dir), null)) {
            assertEquals(first, again.config().clusterSecret());
        }
    }

    @Test
    void aStoredSecretOthersCanReadIsRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(ClusterSecret.FILE_NAME);
        Files.writeString(file, "0123456789abcdef0123456789abcdef");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ClusterSecret.ensure(withResourceManager(dir)));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }

    @Test
    void aConfiguredSecretIsKeptAndAStandaloneManagerGetsNone(@TempDir Path dir) {
        ExecutorManagerConfig configured = withResourceManager(dir).withClusterSecret("configured-secret-0123456789");
        assertEquals("configured-secret-0123456789", ClusterSecret.ensure(configured).clusterSecret());
        assertNull(ClusterSecret.ensure(ExecutorManagerConfig.of("n", List.of("tcp://127.0.0.1:0"), 1, 64, dir))
                .clusterSecret());
        assertTrue(Files.notExists(dir.resolve(ClusterSecret.FILE_NAME)));
    }
}
