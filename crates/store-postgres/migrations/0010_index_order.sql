-- Secondary indexes lead with the column they exist for, not with tenant_id.
--
-- With (tenant_id, user_id)-style indexes, a lookup by (tenant_id, <hash>) on a table whose
-- statistics are missing or stale (a fresh database, or autovacuum turned off) costs the same
-- through the primary key as through any index whose only usable column is tenant_id, and
-- PostgreSQL was seen choosing the latter: every code redemption then scanned all of the
-- tenant's codes, and prepared statements keep such a plan for the connection's life. An index
-- that starts with user_id, client_id or family_id cannot serve a lookup by hash, so the
-- primary key (or unique key) is the only candidate. The cascades and lists these indexes
-- serve still constrain both columns by equality.

DROP INDEX sessions_user;
CREATE INDEX sessions_user ON sessions (user_id, tenant_id, created_at);

DROP INDEX authorization_codes_user;
CREATE INDEX authorization_codes_user ON authorization_codes (user_id, tenant_id);
DROP INDEX authorization_codes_client;
CREATE INDEX authorization_codes_client ON authorization_codes (client_id, tenant_id);

DROP INDEX refresh_tokens_family;
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id, tenant_id);
DROP INDEX refresh_tokens_user;
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id, tenant_id);
DROP INDEX refresh_tokens_client;
CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id, tenant_id);

DROP INDEX interactions_client;
CREATE INDEX interactions_client ON interactions (client_id, tenant_id);

DROP INDEX consents_user;
CREATE INDEX consents_user ON consents (user_id, tenant_id, updated_at);
DROP INDEX consents_client;
CREATE INDEX consents_client ON consents (client_id, tenant_id);

DROP INDEX device_authorizations_client;
CREATE INDEX device_authorizations_client ON device_authorizations (client_id, tenant_id);
DROP INDEX device_authorizations_user;
CREATE INDEX device_authorizations_user ON device_authorizations (user_id, tenant_id);

DROP INDEX personal_access_tokens_user;
CREATE INDEX personal_access_tokens_user ON personal_access_tokens (user_id, tenant_id, created_at);
