-- Interactive sign-in state: browser sessions, authorization codes, refresh tokens and revoked
-- grants. Secrets (cookie values, codes, refresh tokens) are stored only as SHA-256 hashes.
-- Deleting a user deletes their sessions, codes and refresh tokens; deleting an application
-- deletes its codes and refresh tokens. Lists are JSON arrays stored as text. Keys use the "C"
-- collation, as in 0001.

CREATE TABLE sessions (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT COLLATE "C" NOT NULL,
    secret_hash BYTEA NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    idle_expires_at BIGINT NOT NULL,
    auth_time BIGINT NOT NULL,
    amr TEXT NOT NULL,
    acr TEXT,
    persistent BOOLEAN NOT NULL,
    user_agent TEXT,
    ip TEXT,
    CONSTRAINT sessions_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT sessions_secret_hash_key UNIQUE (tenant_id, secret_hash),
    CONSTRAINT sessions_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX sessions_user ON sessions (tenant_id, user_id, created_at);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE authorization_codes (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    code_hash BYTEA NOT NULL,
    grant_id TEXT COLLATE "C" NOT NULL,
    client_id TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    session_id TEXT COLLATE "C" NOT NULL,
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL,
    resource TEXT,
    nonce TEXT,
    code_challenge TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    amr TEXT NOT NULL,
    acr TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    consumed_at BIGINT,
    CONSTRAINT authorization_codes_pkey PRIMARY KEY (tenant_id, code_hash),
    CONSTRAINT authorization_codes_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT authorization_codes_client_fkey FOREIGN KEY (tenant_id, client_id)
        REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);

-- Cascading deletes of users and applications find their codes through these indexes.
CREATE INDEX authorization_codes_user ON authorization_codes (tenant_id, user_id);
CREATE INDEX authorization_codes_client ON authorization_codes (tenant_id, client_id);
CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);

CREATE TABLE refresh_tokens (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL,
    family_id TEXT COLLATE "C" NOT NULL,
    client_id TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    session_id TEXT COLLATE "C",
    scopes TEXT NOT NULL,
    resource TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    idle_expires_at BIGINT NOT NULL,
    used_at BIGINT,
    revoked_at BIGINT,
    CONSTRAINT refresh_tokens_pkey PRIMARY KEY (tenant_id, token_hash),
    CONSTRAINT refresh_tokens_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT refresh_tokens_client_fkey FOREIGN KEY (tenant_id, client_id)
        REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (tenant_id, user_id);
CREATE INDEX refresh_tokens_client ON refresh_tokens (tenant_id, client_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- A grant id here revokes every token issued from that grant, until the marker expires.
CREATE TABLE revoked_grants (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    grant_id TEXT COLLATE "C" NOT NULL,
    revoked_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    CONSTRAINT revoked_grants_pkey PRIMARY KEY (tenant_id, grant_id)
);

CREATE INDEX revoked_grants_expires_at ON revoked_grants (expires_at);
