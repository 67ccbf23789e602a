-- The client's id of the request that got each lease ('' when none): a grant retried with the same
-- id (e.g. after a failover) is answered with the lease it already got. Read only when the state is
-- loaded (active leases), so it needs no index.
ALTER TABLE rm_leases ADD COLUMN request_id VARCHAR(128) DEFAULT '' NOT NULL;
