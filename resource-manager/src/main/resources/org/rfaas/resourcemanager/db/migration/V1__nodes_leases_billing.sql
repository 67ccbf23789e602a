-- The resource manager's durable record: portable SQL (H2 and PostgreSQL). IF NOT EXISTS: a database
-- created before migrations were versioned already has these tables (it is baselined at version 0).
CREATE TABLE IF NOT EXISTS rm_nodes (name VARCHAR(128) PRIMARY KEY, address VARCHAR(512) NOT NULL,
    port INTEGER NOT NULL, transport VARCHAR(128) NOT NULL, cores INTEGER NOT NULL,
    memory_mib BIGINT NOT NULL, state VARCHAR(16) NOT NULL, registered_at BIGINT NOT NULL,
    last_heartbeat BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS rm_leases (id BIGINT PRIMARY KEY, tenant VARCHAR(128) NOT NULL,
    node VARCHAR(128) NOT NULL, cores INTEGER NOT NULL, memory_mib BIGINT NOT NULL,
    state VARCHAR(16) NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,
    ended_at BIGINT NOT NULL, end_reason VARCHAR(512) NOT NULL);
CREATE INDEX IF NOT EXISTS rm_leases_state ON rm_leases (state);
CREATE INDEX IF NOT EXISTS rm_leases_node ON rm_leases (node);
CREATE TABLE IF NOT EXISTS rm_billing (lease_id BIGINT PRIMARY KEY, tenant VARCHAR(128) NOT NULL,
    node VARCHAR(128) NOT NULL, allocation_nanos BIGINT NOT NULL, compute_nanos BIGINT NOT NULL,
    hot_polling_nanos BIGINT NOT NULL, memory_mib_seconds DOUBLE PRECISION NOT NULL,
    reported_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS rm_removed_nodes (name VARCHAR(128) PRIMARY KEY, removed_at BIGINT NOT NULL);
