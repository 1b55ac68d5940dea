-- Refresh tokens keep the authentication their grant came from (auth_time, amr, acr; OIDC Core
-- §12.2), applications get their own refresh token lifetimes and a public JWK Set for
-- private_key_jwt, and the jtis of accepted client assertions are kept until they expire, so
-- an assertion is accepted once, on every replica. Rows written before this migration load
-- with auth_time 0 (unknown), no amr and no acr; applications keep the server's default
-- lifetimes. Constant defaults: no table rewrite. Keys use the "C" collation, as in 0001.

ALTER TABLE refresh_tokens ADD COLUMN auth_time BIGINT NOT NULL DEFAULT 0;
ALTER TABLE refresh_tokens ADD COLUMN amr TEXT NOT NULL DEFAULT '[]';
ALTER TABLE refresh_tokens ADD COLUMN acr TEXT;

ALTER TABLE applications ADD COLUMN refresh_token_absolute_ttl BIGINT
    CHECK (refresh_token_absolute_ttl BETWEEN 0 AND 4294967295);
ALTER TABLE applications ADD COLUMN refresh_token_idle_ttl BIGINT
    CHECK (refresh_token_idle_ttl BETWEEN 0 AND 4294967295);
ALTER TABLE applications ADD COLUMN jwks TEXT;

-- One row per accepted assertion; the primary key makes recording a jti atomic across
-- replicas. Deleting an application deletes its rows.
CREATE TABLE client_assertion_jtis (
    tenant_id TEXT COLLATE "C" NOT NULL,
    client_id TEXT COLLATE "C" NOT NULL,
    jti TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    CONSTRAINT client_assertion_jtis_pkey PRIMARY KEY (tenant_id, client_id, jti),
    CONSTRAINT client_assertion_jtis_client_fkey FOREIGN KEY (tenant_id, client_id)
        REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);

-- The purge job deletes by expiry across tenants.
CREATE INDEX client_assertion_jtis_expires_at ON client_assertion_jtis (expires_at);
