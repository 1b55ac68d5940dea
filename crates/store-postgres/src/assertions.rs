//! [`ClientAssertionStore`] on PostgreSQL: one row per accepted client assertion `jti`.
//! Recording is one `INSERT ... ON CONFLICT DO UPDATE ... WHERE`: a concurrent insert of the
//! same key waits for the first to commit, then sees its live row and changes nothing, so of
//! concurrent records of one `jti` (on any replica) exactly one succeeds.

use async_trait::async_trait;
use gatehouse_store::{ClientAssertionStore, StoreResult};

use crate::{PostgresStore, error::from_sqlx};

#[async_trait]
impl ClientAssertionStore for PostgresStore {
    async fn record_assertion_jti(
        &self,
        tenant_id: &str,
        client_id: &str,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<bool> {
        // A live row makes the upsert a no-op (0 rows); an expired one is taken over.
        let recorded = sqlx::query(
            "INSERT INTO client_assertion_jtis (tenant_id, client_id, jti, expires_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, client_id, jti) \
             DO UPDATE SET expires_at = EXCLUDED.expires_at \
             WHERE client_assertion_jtis.expires_at <= $5",
        )
        .bind(tenant_id)
        .bind(client_id)
        .bind(jti)
        .bind(expires_at)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(recorded.rows_affected() == 1)
    }
}
