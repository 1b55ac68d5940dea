-- Tenant administrators. `bootstraps` holds one row per tenant once its first administrator
-- was created with `gatehouse admin bootstrap`; the row outlives that user, so bootstrap never
-- reopens (checklist U-18). `admins` lists who administers the tenant; deleting the user
-- deletes the row. Keys use the "C" collation, as in 0001.

CREATE TABLE bootstraps (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT bootstraps_pkey PRIMARY KEY (tenant_id)
);

CREATE TABLE admins (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT admins_pkey PRIMARY KEY (tenant_id, user_id),
    CONSTRAINT admins_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
