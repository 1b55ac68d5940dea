-- Tenants, applications and their secrets and resource grants, API resources, signing keys and
-- the access token deny list. Every table but `tenants` is keyed by tenant first; times are
-- seconds since the epoch; lists are JSON arrays stored as text.

CREATE TABLE tenants (
    id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL CONSTRAINT tenants_name_key UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE applications (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    app_type TEXT NOT NULL CHECK (app_type IN ('spa', 'native', 'web', 'm2m')),
    redirect_uris TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    third_party INTEGER NOT NULL CHECK (third_party IN (0, 1)),
    builtin INTEGER NOT NULL CHECK (builtin IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE api_resources (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    indicator TEXT NOT NULL,
    access_token_ttl INTEGER NOT NULL CHECK (access_token_ttl BETWEEN 0 AND 4294967295),
    scopes TEXT NOT NULL,
    builtin INTEGER NOT NULL CHECK (builtin IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT api_resources_indicator_key UNIQUE (tenant_id, indicator)
);

CREATE TABLE application_resource_grants (
    tenant_id TEXT NOT NULL,
    application_id TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    PRIMARY KEY (tenant_id, application_id, resource_id),
    FOREIGN KEY (tenant_id, application_id)
        REFERENCES applications (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, resource_id)
        REFERENCES api_resources (tenant_id, id) ON DELETE CASCADE
);

-- Deleting a resource finds its grants through this index.
CREATE INDEX application_resource_grants_resource
    ON application_resource_grants (tenant_id, resource_id);

CREATE TABLE client_secrets (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    application_id TEXT NOT NULL,
    name TEXT,
    secret_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, application_id)
        REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX client_secrets_application
    ON client_secrets (tenant_id, application_id, created_at);

CREATE TABLE signing_keys (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kid TEXT NOT NULL,
    alg TEXT NOT NULL CHECK (alg IN ('ES256', 'RS256')),
    public_jwk TEXT NOT NULL,
    sealed_private_key BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    activates_at INTEGER NOT NULL,
    retires_at INTEGER,
    expires_at INTEGER,
    PRIMARY KEY (tenant_id, kid)
);

CREATE TABLE revoked_tokens (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    jti TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, jti)
);

-- The purge job deletes by expiry across tenants.
CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);
