package org.rfaas.resourcemanager;

import org.flywaydb.core.Flyway;

/**
 * The tables of the durable record, migrated by Flyway from the versioned scripts in
 * {@code org/rfaas/resourcemanager/db/migration} (portable SQL: H2 and PostgreSQL). A database
 * created before the migrations were versioned is baselined at version 0 and brought up from there.
 */
final class Schema {
    static final String LOCATION = "classpath:org/rfaas/resourcemanager/db/migration";

    private Schema() {
    }

    /** Applies the pending migrations (Flyway takes its own connection and a lock in the database). */
    static void migrate(ResourceManagerConfig config) {
        Flyway.configure()
                .dataSource(config.databaseUrl(), config.databaseUser().isEmpty() ? null : config.databaseUser(),
                        config.databaseUser().isEmpty() ? null : config.databasePassword())
                .locations(LOCATION)
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .load()
                .migrate();
    }
}
