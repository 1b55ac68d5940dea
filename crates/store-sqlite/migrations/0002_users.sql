-- Users of a tenant. Usernames and emails are stored in canonical form (NFKC, case folded),
-- each unique within the tenant; a user has at least one of them. SQLite lets several rows
-- hold NULL in a UNIQUE column, so users without a username (or email) do not collide.

CREATE TABLE users (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    username TEXT,
    email TEXT,
    email_verified INTEGER NOT NULL CHECK (email_verified IN (0, 1)),
    name TEXT,
    password_hash TEXT,
    disabled INTEGER NOT NULL CHECK (disabled IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT users_username_key UNIQUE (tenant_id, username),
    CONSTRAINT users_email_key UNIQUE (tenant_id, email),
    CONSTRAINT users_identifier_check CHECK (username IS NOT NULL OR email IS NOT NULL)
);
