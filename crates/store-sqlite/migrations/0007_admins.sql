-- Tenant administrators. `bootstraps` holds one row per tenant once its first administrator
-- was created with `gatehouse admin bootstrap`; the row outlives that user, so bootstrap never
-- reopens (checklist U-18). `admins` lists who administers the tenant; deleting the user
-- deletes the row.

CREATE TABLE bootstraps (
    tenant_id TEXT NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE admins (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
