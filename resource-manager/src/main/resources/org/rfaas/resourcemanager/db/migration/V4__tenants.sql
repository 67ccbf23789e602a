-- Tenants that may request leases: their API keys as SHA-256 (hex), quotas over their active
-- leases (0: none). Served from memory; this table is their durable record.
CREATE TABLE rm_tenants (
    name VARCHAR(128) PRIMARY KEY,
    key_hash VARCHAR(64) NOT NULL,
    max_cores INTEGER NOT NULL,
    max_memory_mib BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX rm_tenants_key ON rm_tenants (key_hash);
