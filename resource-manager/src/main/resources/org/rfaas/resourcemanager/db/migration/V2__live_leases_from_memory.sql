-- Active leases are served from memory since the durable log (group commit): these indexes were
-- read by nothing any more and cost every grant and release a write.
DROP INDEX IF EXISTS rm_leases_state;
DROP INDEX IF EXISTS rm_leases_node;
