//! [`RevocationStore`] on PostgreSQL: the deny list of revoked access tokens.

use async_trait::async_trait;
use gatehouse_store::{RevocationStore, StoreResult};

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

    async fn delete_expired_revocations(&self, now: i64) -> StoreResult<u64> {
        let deleted = sqlx::query("DELETE FROM revoked_tokens WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(deleted.rows_affected())
    }
}
