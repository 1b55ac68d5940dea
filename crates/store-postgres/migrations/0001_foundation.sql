-- Tenants, applications and their secrets and resource grants, API resources, signing keys and
-- the access token deny list. Every table but `tenants` is keyed by tenant first; times are
-- seconds since the epoch; lists are JSON arrays stored as text. Keys use the "C" collation so
-- they sort bytewise, as on SQLite, whatever the database's locale.

CREATE TABLE tenants (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name TEXT NOT NULL CONSTRAINT tenants_name_key UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE applications (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    app_type TEXT NOT NULL CHECK (app_type IN ('spa', 'native', 'web', 'm2m')),
    redirect_uris TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    third_party BOOLEAN NOT NULL,
    builtin BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT applications_pkey PRIMARY KEY (tenant_id, id)
);

CREATE TABLE api_resources (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    indicator TEXT COLLATE "C" NOT NULL,
    access_token_ttl BIGINT NOT NULL CHECK (access_token_ttl BETWEEN 0 AND 4294967295),
    scopes TEXT NOT NULL,
    builtin BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT api_resources_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT api_resources_indicator_key UNIQUE (tenant_id, indicator)
);

CREATE TABLE application_resource_grants (
    tenant_id TEXT COLLATE "C" NOT NULL,
    application_id TEXT COLLATE "C" NOT NULL,
    resource_id TEXT COLLATE "C" NOT NULL,
    scopes TEXT NOT NULL,
    CONSTRAINT application_resource_grants_pkey
        PRIMARY KEY (tenant_id, application_id, resource_id),
    CONSTRAINT application_resource_grants_application_fkey FOREIGN KEY (tenant_id, application_id)
        REFERENCES applications (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT application_resource_grants_resource_fkey FOREIGN KEY (tenant_id, resource_id)
        REFERENCES api_resources (tenant_id, id) ON DELETE CASCADE
);

-- Deleting a resource finds its grants through this index.
CREATE INDEX application_resource_grants_resource
    ON application_resource_grants (tenant_id, resource_id);

CREATE TABLE client_secrets (
    tenant_id TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    application_id TEXT COLLATE "C" NOT NULL,
    name TEXT,
    secret_hash BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    CONSTRAINT client_secrets_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT client_secrets_application_fkey FOREIGN KEY (tenant_id, application_id)
        REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX client_secrets_application
    ON client_secrets (tenant_id, application_id, created_at);

CREATE TABLE signing_keys (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kid TEXT COLLATE "C" NOT NULL,
    alg TEXT NOT NULL CHECK (alg IN ('ES256', 'RS256')),
    public_jwk TEXT NOT NULL,
    sealed_private_key BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    activates_at BIGINT NOT NULL,
    retires_at BIGINT,
    expires_at BIGINT,
    CONSTRAINT signing_keys_pkey PRIMARY KEY (tenant_id, kid)
);

CREATE TABLE revoked_tokens (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    jti TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    CONSTRAINT revoked_tokens_pkey PRIMARY KEY (tenant_id, jti)
);

-- The purge job deletes by expiry across tenants.
CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);
