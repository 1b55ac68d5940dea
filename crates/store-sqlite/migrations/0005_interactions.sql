-- Pending authorizations (interactions) and remembered consent. An interaction is bound to the
-- browser that started it by the SHA-256 of a cookie value (S-08), never the value itself, and
-- is deleted when consumed or once expired. A consent is one row per (user, client).
-- Deleting an application deletes its interactions and consents; deleting a user deletes
-- their consents. Lists are JSON arrays stored as text.

CREATE TABLE interactions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    browser_hash BLOB NOT NULL,
    client_id TEXT NOT NULL,
    params TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, client_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);

-- Cascading deletes of applications find their interactions through this index.
CREATE INDEX interactions_client ON interactions (tenant_id, client_id);
CREATE INDEX interactions_expires_at ON interactions (expires_at);

CREATE TABLE consents (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    resources TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id, client_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, client_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);

-- A user's consents, most recently updated first (the primary key serves deleting a user).
CREATE INDEX consents_user ON consents (tenant_id, user_id, updated_at);
-- Cascading deletes of applications find their consents through this index.
CREATE INDEX consents_client ON consents (tenant_id, client_id);
