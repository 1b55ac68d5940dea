-- Users of a tenant. Usernames and emails are stored in canonical form (NFKC, case folded),
-- each unique within the tenant; a user has at least one of them. UNIQUE allows several
-- NULLs, so users without a username (or email) do not collide.

CREATE TABLE users (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT COLLATE "C" NOT NULL,
    username TEXT COLLATE "C",
    email TEXT COLLATE "C",
    email_verified BOOLEAN NOT NULL,
    name TEXT,
    password_hash TEXT,
    disabled BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT users_username_key UNIQUE (tenant_id, username),
    CONSTRAINT users_email_key UNIQUE (tenant_id, email),
    CONSTRAINT users_identifier_check CHECK (username IS NOT NULL OR email IS NOT NULL)
);
