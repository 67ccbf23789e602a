-- Two or more resource managers on one database: the row of the one that serves (its term and the
-- wall-clock end of its leadership lease). Every group commit of the leader renews it in the same
-- transaction, so a deposed leader can never commit again (fencing).
CREATE TABLE IF NOT EXISTS rm_leader (id INTEGER PRIMARY KEY, holder VARCHAR(128) NOT NULL, term BIGINT NOT NULL,
    expires_at BIGINT NOT NULL);
