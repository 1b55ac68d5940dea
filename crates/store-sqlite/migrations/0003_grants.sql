-- Interactive sign-in state: browser sessions, authorization codes, refresh tokens and revoked
-- grants. Secrets (cookie values, codes, refresh tokens) are stored only as SHA-256 hashes.
-- Deleting a user deletes their sessions, codes and refresh tokens; deleting an application
-- deletes its codes and refresh tokens. Lists are JSON arrays stored as text.

CREATE TABLE sessions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    secret_hash BLOB NOT NULL,
    user_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    idle_expires_at INTEGER NOT NULL,
    auth_time INTEGER NOT NULL,
    amr TEXT NOT NULL,
    acr TEXT,
    persistent INTEGER NOT NULL CHECK (persistent IN (0, 1)),
    user_agent TEXT,
    ip TEXT,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT sessions_secret_hash_key UNIQUE (tenant_id, secret_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX sessions_user ON sessions (tenant_id, user_id, created_at);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE authorization_codes (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    code_hash BLOB NOT NULL,
    grant_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL,
    resource TEXT,
    nonce TEXT,
    code_challenge TEXT NOT NULL,
    auth_time INTEGER NOT NULL,
    amr TEXT NOT NULL,
    acr TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    consumed_at INTEGER,
    PRIMARY KEY (tenant_id, code_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, client_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);

-- Cascading deletes of users and applications find their codes through these indexes.
CREATE INDEX authorization_codes_user ON authorization_codes (tenant_id, user_id);
CREATE INDEX authorization_codes_client ON authorization_codes (tenant_id, client_id);
CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);

CREATE TABLE refresh_tokens (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    token_hash BLOB NOT NULL,
    family_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    session_id TEXT,
    scopes TEXT NOT NULL,
    resource TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    idle_expires_at INTEGER NOT NULL,
    used_at INTEGER,
    revoked_at INTEGER,
    PRIMARY KEY (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, client_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (tenant_id, user_id);
CREATE INDEX refresh_tokens_client ON refresh_tokens (tenant_id, client_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- A grant id here revokes every token issued from that grant, until the marker expires.
CREATE TABLE revoked_grants (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    grant_id TEXT NOT NULL,
    revoked_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, grant_id)
);

CREATE INDEX revoked_grants_expires_at ON revoked_grants (expires_at);
