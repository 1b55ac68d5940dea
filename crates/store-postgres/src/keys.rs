//! [`KeyStore`] on PostgreSQL.

use async_trait::async_trait;
use gatehouse_core::{SigningAlgorithm, SigningKey};
use gatehouse_store::{KeyStore, StoreError, StoreResult};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::{PostgresStore, error::from_sqlx};

fn key_from_row(row: &PgRow) -> StoreResult<SigningKey> {
    let alg: String = row.try_get("alg").map_err(from_sqlx)?;
    Ok(SigningKey {
        kid: row.try_get("kid").map_err(from_sqlx)?,
        alg: SigningAlgorithm::parse(&alg)
            .ok_or_else(|| StoreError::Other(format!("unknown signing algorithm {alg:?}")))?,
        public_jwk: row.try_get("public_jwk").map_err(from_sqlx)?,
        sealed_private_key: row.try_get("sealed_private_key").map_err(from_sqlx)?,
        created_at: row.try_get("created_at").map_err(from_sqlx)?,
        activates_at: row.try_get("activates_at").map_err(from_sqlx)?,
        retires_at: row.try_get("retires_at").map_err(from_sqlx)?,
        expires_at: row.try_get("expires_at").map_err(from_sqlx)?,
    })
}

async fn insert_key(conn: &mut PgConnection, tenant_id: &str, key: &SigningKey) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO signing_keys (tenant_id, kid, alg, public_jwk, sealed_private_key, \
         created_at, activates_at, retires_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tenant_id)
    .bind(&key.kid)
    .bind(key.alg.as_str())
    .bind(&key.public_jwk)
    .bind(&key.sealed_private_key)
    .bind(key.created_at)
    .bind(key.activates_at)
    .bind(key.retires_at)
    .bind(key.expires_at)
    .execute(conn)
    .await
    .map_err(from_sqlx)?;
    Ok(())
}

#[async_trait]
impl KeyStore for PostgresStore {
    async fn insert_signing_key(&self, tenant_id: &str, key: &SigningKey) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(from_sqlx)?;
        insert_key(&mut conn, tenant_id, key).await
    }

    async fn list_signing_keys(&self, tenant_id: &str) -> StoreResult<Vec<SigningKey>> {
        let rows = sqlx::query(
            "SELECT * FROM signing_keys WHERE tenant_id = $1 ORDER BY created_at DESC, kid DESC",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await
        .map_err(from_sqlx)?;
        rows.iter().map(key_from_row).collect()
    }

    async fn retire_signing_key(
        &self,
        tenant_id: &str,
        kid: &str,
        retires_at: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE signing_keys SET retires_at = $1, expires_at = $2 WHERE tenant_id = $3 AND kid = $4",
        )
        .bind(retires_at)
        .bind(expires_at)
        .bind(tenant_id)
        .bind(kid)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn rotate_signing_key(
        &self,
        tenant_id: &str,
        new_key: &SigningKey,
        retires_at: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(from_sqlx)?;
        // Rotations of one tenant run one at a time, so the second retires the first's key
        // (under READ COMMITTED its UPDATE would otherwise not see a key inserted meanwhile).
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("gatehouse.rotate_signing_key:{tenant_id}"))
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        sqlx::query(
            "UPDATE signing_keys SET retires_at = $1, expires_at = $2 \
             WHERE tenant_id = $3 AND (retires_at IS NULL OR retires_at > $1)",
        )
        .bind(retires_at)
        .bind(expires_at)
        .bind(tenant_id)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        insert_key(&mut tx, tenant_id, new_key).await?;
        tx.commit().await.map_err(from_sqlx)
    }
}
