-- Brute-force failure counters (checklist R-01..R-05), one per (tenant, kind, key). The key is
-- an account identifier, an IP address or a client id: never a password or a secret.
-- `window_ends_at` is `first_failure_at` plus the window of the last recorded failure, so
-- reads and the purge know when the counter stops counting without knowing the policy.

CREATE TABLE throttles (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    failures INTEGER NOT NULL CHECK (failures > 0),
    first_failure_at INTEGER NOT NULL,
    window_ends_at INTEGER NOT NULL,
    locked_until INTEGER,
    PRIMARY KEY (tenant_id, kind, key)
);

CREATE INDEX throttles_window_ends_at ON throttles (window_ends_at);
