//! [`RevocationStore`] on PostgreSQL: the deny list of revoked access tokens, and the one-statement
//! state check every access token verification runs.

use async_trait::async_trait;
use gatehouse_store::{RevocationStore, StoreResult, TokenState};
use sqlx::Row;

use crate::{PostgresStore, error::from_sqlx};

#[async_trait]
impl RevocationStore for PostgresStore {
    async fn insert_revoked_token(
        &self,
        tenant_id: &str,
        jti: &str,
        expires_at: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO revoked_tokens (tenant_id, jti, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id, jti) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(jti)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn is_token_revoked(&self, tenant_id: &str, jti: &str) -> StoreResult<bool> {
        // On a hot connection: every introspection and Management API call asks.
        let query = sqlx::query("SELECT 1 FROM revoked_tokens WHERE tenant_id = $1 AND jti = $2")
            .bind(tenant_id)
            .bind(jti);
        let row = self.fetch_optional_hot(query).await?;
        Ok(row.is_some())
    }

    async fn token_state(
        &self,
        tenant_id: &str,
        jti: &str,
        grant_id: Option<&str>,
        client_id: &str,
    ) -> StoreResult<TokenState> {
        // One statement on a hot connection: every UserInfo, introspection and API call asks.
        // A NULL grant id matches no row, so a token without a grant is never grant-revoked.
        let query = sqlx::query(
            "SELECT \
             EXISTS (SELECT 1 FROM revoked_tokens WHERE tenant_id = $1 AND jti = $2) \
             AS token_revoked, \
             EXISTS (SELECT 1 FROM revoked_grants WHERE tenant_id = $1 AND grant_id = $3) \
             AS grant_revoked, \
             EXISTS (SELECT 1 FROM applications WHERE tenant_id = $1 AND id = $4) \
             AS client_exists",
        )
        .bind(tenant_id)
        .bind(jti)
        .bind(grant_id)
        .bind(client_id);
        let row = self.fetch_one_hot(query).await?;
        Ok(TokenState {
            token_revoked: row.try_get("token_revoked").map_err(from_sqlx)?,
            grant_revoked: row.try_get("grant_revoked").map_err(from_sqlx)?,
            client_exists: row.try_get("client_exists").map_err(from_sqlx)?,
        })
    }

    async fn delete_expired_revocations(&self, now: i64) -> StoreResult<u64> {
        let deleted = sqlx::query("DELETE FROM revoked_tokens WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(deleted.rows_affected())
    }
}
