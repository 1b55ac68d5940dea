//! Tenant administrators on PostgreSQL: the one-time bootstrap (the first administrator, created
//! with the user in one transaction) and membership checks.

use async_trait::async_trait;
use gatehouse_core::user::User;
use gatehouse_store::{AdminStore, StoreError, StoreResult};

use crate::users::insert_user_with;
use crate::{PostgresStore, error::from_sqlx};

/// What a second bootstrap is told.
const ALREADY_BOOTSTRAPPED: &str = "the tenant already has its first administrator";

#[async_trait]
impl AdminStore for PostgresStore {
    async fn bootstrap_admin(&self, tenant_id: &str, user: &User, now: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(from_sqlx)?;
        // The marker first: its primary key makes a second bootstrap fail before anything else
        // is written, and the whole transaction rolls back with it.
        sqlx::query("INSERT INTO bootstraps (tenant_id, user_id, created_at) VALUES ($1, $2, $3)")
            .bind(tenant_id)
            .bind(&user.id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|error| match from_sqlx(error) {
                StoreError::Conflict(_) => StoreError::Conflict(ALREADY_BOOTSTRAPPED.to_owned()),
                other => other,
            })?;
        insert_user_with(&mut *tx, tenant_id, user).await?;
        sqlx::query("INSERT INTO admins (tenant_id, user_id, created_at) VALUES ($1, $2, $3)")
            .bind(tenant_id)
            .bind(&user.id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(())
    }

    async fn is_admin(&self, tenant_id: &str, user_id: &str) -> StoreResult<bool> {
        let found = sqlx::query("SELECT 1 FROM admins WHERE tenant_id = $1 AND user_id = $2")
            .bind(tenant_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(found.is_some())
    }
}
