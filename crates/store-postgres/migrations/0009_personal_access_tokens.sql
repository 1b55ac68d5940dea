-- Personal access tokens: long-lived secrets a person creates for scripts and CI. Only the
-- SHA-256 of the token is stored, never the token itself; the hash is unique within the
-- tenant. A token stays after it expires, so its owner still sees it listed, until the purge
-- job deletes it a day later. Deleting a user deletes their tokens. Lists are JSON arrays
-- stored as text. Keys use the "C" collation, as in 0001.

CREATE TABLE personal_access_tokens (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    token_hash BYTEA NOT NULL,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_used_at BIGINT,
    CONSTRAINT personal_access_tokens_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT personal_access_tokens_token_hash_key UNIQUE (tenant_id, token_hash),
    CONSTRAINT personal_access_tokens_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- A person's tokens, newest first; cascading deletes of users find their tokens through it.
CREATE INDEX personal_access_tokens_user
    ON personal_access_tokens (tenant_id, user_id, created_at);
-- The purge job deletes by expiry across tenants.
CREATE INDEX personal_access_tokens_expires_at ON personal_access_tokens (expires_at);
