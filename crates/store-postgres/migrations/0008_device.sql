-- The device authorization grant (RFC 8628). Applications say whether they may use it; the
-- built-in CLI application of every tenant may (it falls back to the device flow where no
-- browser can be opened). A device authorization is one row per request, keyed by the
-- SHA-256 of the device code, never the code itself; the short user code is unique within the
-- tenant while the row lives. The approval columns (user_id .. amr) are set when the person
-- approves and kept once the tokens are issued. Deleting an application or a user deletes
-- their rows. Lists are JSON arrays stored as text. Constant default: no table rewrite. Keys
-- use the "C" collation, as in 0001.

ALTER TABLE applications ADD COLUMN device_flow BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE applications SET device_flow = TRUE WHERE id = 'gatehouse-cli' AND builtin;

CREATE TABLE device_authorizations (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    device_code_hash BYTEA NOT NULL,
    user_code TEXT COLLATE "C" NOT NULL,
    client_id TEXT COLLATE "C" NOT NULL,
    scopes TEXT NOT NULL,
    resource TEXT,
    ip TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    interval BIGINT NOT NULL CHECK (interval >= 0),
    last_polled_at BIGINT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'consumed')),
    user_id TEXT COLLATE "C",
    session_id TEXT COLLATE "C",
    auth_time BIGINT,
    amr TEXT,
    CONSTRAINT device_authorizations_pkey PRIMARY KEY (tenant_id, device_code_hash),
    CONSTRAINT device_authorizations_user_code_key UNIQUE (tenant_id, user_code),
    -- An approved (or consumed) request always says who approved it and how.
    CONSTRAINT device_authorizations_approval_check CHECK (
        status IN ('pending', 'denied')
        OR (user_id IS NOT NULL AND session_id IS NOT NULL AND auth_time IS NOT NULL
            AND amr IS NOT NULL)
    ),
    CONSTRAINT device_authorizations_client_fkey FOREIGN KEY (tenant_id, client_id)
        REFERENCES applications (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT device_authorizations_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- Cascading deletes of applications and users find their requests through these indexes.
CREATE INDEX device_authorizations_client ON device_authorizations (tenant_id, client_id);
CREATE INDEX device_authorizations_user ON device_authorizations (tenant_id, user_id);
-- The purge job deletes by expiry across tenants.
CREATE INDEX device_authorizations_expires_at ON device_authorizations (expires_at);
