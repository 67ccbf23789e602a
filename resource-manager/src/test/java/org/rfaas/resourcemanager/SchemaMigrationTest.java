package org.rfaas.resourcemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.resourcemanager.events.EventBus;

/** Flyway brings a fresh database and one written before migrations were versioned to the same schema. */
final class SchemaMigrationTest {
    @TempDir
    Path dir;

    private ResourceManagerConfig config(String url) {
        return new ResourceManagerConfig("127.0.0.1", 0, "admin-token-0123456789", "cluster-secret-0123456789",
                dir.toString(), url, null, null, 600_000, null, 0, 0, 0, 0);
    }

    @Test
    void aDatabaseOfTheUnversionedSchemaIsBaselinedAndMigrated() throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("old") + ";WRITE_DELAY=0";
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            // what the resource manager created before its schema was versioned, with a live lease
            st.execute("CREATE TABLE rm_nodes (name VARCHAR(128) PRIMARY KEY, address VARCHAR(512) NOT NULL, port INTEGER NOT NULL,"
                    + " transport VARCHAR(128) NOT NULL, cores INTEGER NOT NULL, memory_mib BIGINT NOT NULL, state VARCHAR(16) NOT NULL,"
                    + " registered_at BIGINT NOT NULL, last_heartbeat BIGINT NOT NULL)");
            st.execute("CREATE TABLE rm_leases (id BIGINT PRIMARY KEY, tenant VARCHAR(128) NOT NULL, node VARCHAR(128) NOT NULL,"
                    + " cores INTEGER NOT NULL, memory_mib BIGINT NOT NULL, state VARCHAR(16) NOT NULL, created_at BIGINT NOT NULL,"
                    + " expires_at BIGINT NOT NULL, ended_at BIGINT NOT NULL, end_reason VARCHAR(512) NOT NULL)");
            st.execute("CREATE INDEX rm_leases_state ON rm_leases (state)");
            st.execute("CREATE INDEX rm_leases_node ON rm_leases (node)");
            st.execute("INSERT INTO rm_nodes VALUES ('n1', 'h', 1, 'tcp', 8, 4096, 'UP', 1, 1)");
            st.execute("INSERT INTO rm_leases VALUES (41, 'alice', 'n1', 3, 1024, 'ACTIVE', 1, 9999999999999, 0, '')");
        }
        try (ClusterState s = ClusterState.open(config(url), new EventBus())) {
            assertEquals(5, s.node("n1").freeCores(), "the old lease still holds its cores");
            assertEquals(42, s.lifecycle().requestLease(new org.rfaas.rmclient.LeaseRequest(1, 1, 0, "bob"), System.currentTimeMillis()).leaseId());
        }
        assertEquals(List.of("0", "1", "2", "3", "4", "5"), versions(url));
        try (Connection c = DriverManager.getConnection(url);
                ResultSet rs = c.getMetaData().getIndexInfo(null, null, "RM_LEASES", false, false)) {
            while (rs.next()) {
                String name = rs.getString("INDEX_NAME");
                assertTrue(name == null || !name.toLowerCase().startsWith("rm_leases_"), "index " + name + " dropped by V2");
            }
        }
    }

    @Test
    void aFreshDatabaseGetsEveryVersion() throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("fresh") + ";WRITE_DELAY=0";
        try (ClusterState s = ClusterState.open(config(url), new EventBus())) {
            assertEquals(0, s.nodes().size());
        }
        try (ClusterState s = ClusterState.open(config(url), new EventBus())) {
            assertEquals(0, s.nodes().size(), "opening again migrates nothing");
        }
        assertEquals(List.of("1", "2", "3", "4", "5"), versions(url));
    }

    private static List<String> versions(String url) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT \"version\" FROM \"flyway_schema_history\" WHERE \"success\" AND \"version\" IS NOT NULL ORDER BY \"installed_rank\"")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
