package org.rfaas.resourcemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class ResourceManagerConfigTest {
    @TempDir
    Path dir;

    private ResourceManagerConfig load(String json) throws IOException {
        Path f = dir.resolve("rm.json");
        Files.writeString(f, json);
        return ResourceManagerConfig.load(f);
    }

    private String error(String json) {
        return assertThrows(IOException.class, () -> load(json)).getMessage();
    }

    @Test
    void defaultsFillEverythingButTheSecrets() throws IOException {
        ResourceManagerConfig c = load("{\"adminToken\":\"0123456789abcdef\",\"clusterSecret\":\"0123456789abcdef\",\"dataDir\":\""
                + dir + "\"}");
        assertEquals("127.0.0.1", c.host());
        assertEquals("jdbc:h2:file:" + dir.toAbsolutePath() + "/rfaas-rm;WRITE_DELAY=0", c.databaseUrl());
        assertEquals(10_000, c.heartbeatTimeoutMillis());
        assertEquals(PlacementPolicy.FIRST_FIT, c.placementPolicy());
        assertEquals(600_000, c.defaultLeaseMillis());
        assertEquals(86_400_000, c.maxLeaseMillis());
        assertTrue(c.sweepIntervalMillis() > 0 && c.sweepIntervalMillis() <= 1000);
    }

    @Test
    void invalidFilesAreRefusedWithTheProblemNamed() {
        String ok = "\"adminToken\":\"0123456789abcdef\",\"clusterSecret\":\"0123456789abcdef\"";
        assertTrue(error("{\"clusterSecret\":\"0123456789abcdef\"}").contains("adminToken is missing"));
        assertTrue(error("{\"adminToken\":\"0123456789abcdef\",\"clusterSecret\":\"short\"}").contains("clusterSecret"));
        assertTrue(error("{" + ok + ",\"placement\":\"random\"}").contains("placement must be first-fit or least-loaded"));
        assertTrue(error("{" + ok + ",\"prot\":1}").contains("prot"), "a typo is an error, not a silent default");
        assertTrue(error("{" + ok + ",\"databaseUrl\":\"postgres://x\"}").contains("JDBC URL"));
        assertTrue(error("{" + ok + ",\"defaultLeaseMillis\":10,\"maxLeaseMillis\":5}").contains("exceeds maxLeaseMillis"));
        assertTrue(error("{" + ok).contains("invalid resource manager config"));
        assertTrue(error("{" + ok + ",\"databaseUrl\":\"jdbc:h2:mem:\"}").contains("needs a name"));
        assertTrue(error("{" + ok + ",\"leaderLeaseMillis\":1000}").contains("not the embedded H2"),
                "several resource managers need a shared database");
        assertTrue(error("{" + ok + ",\"leaderLeaseMillis\":50,\"databaseUrl\":\"jdbc:postgresql://db/r\"}").contains("at least 200"));
    }

    @Test
    void leastLoadedIsAccepted() throws IOException {
        assertEquals(PlacementPolicy.PACK, load("{\"adminToken\":\"0123456789abcdef\",\"clusterSecret\":\"0123456789abcdef\","
                + "\"placement\":\"pack\"}").placementPolicy());
        assertEquals(PlacementPolicy.LEAST_LOADED, load("{\"adminToken\":\"0123456789abcdef\",\"clusterSecret\":\"0123456789abcdef\","
                + "\"placement\":\"least-loaded\"}").placementPolicy());
    }
}
