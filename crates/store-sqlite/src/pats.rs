//! Personal access tokens on SQLite: found by the hash of the token (the exchange at the token
//! endpoint) or listed by person, newest first. Every call is one statement; deleting and
//! touching report `NotFound` when no row matched. Expired tokens stay until
//! `delete_expired_grants_data` purges them a day later (see `grants`).

use async_trait::async_trait;
use gatehouse_core::PersonalAccessToken;
use gatehouse_store::{PersonalAccessTokenStore, StoreError, StoreResult};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{SqliteStore, error::from_sqlx, json};

fn pat_from_row(row: &SqliteRow) -> StoreResult<PersonalAccessToken> {
    let scopes: String = row.try_get("scopes").map_err(from_sqlx)?;
    Ok(PersonalAccessToken {
        id: row.try_get("id").map_err(from_sqlx)?,
        user_id: row.try_get("user_id").map_err(from_sqlx)?,
        name: row.try_get("name").map_err(from_sqlx)?,
        token_hash: row.try_get("token_hash").map_err(from_sqlx)?,
        scopes: json::decode(&scopes, "personal_access_tokens.scopes")?,
        created_at: row.try_get("created_at").map_err(from_sqlx)?,
        expires_at: row.try_get("expires_at").map_err(from_sqlx)?,
        last_used_at: row.try_get("last_used_at").map_err(from_sqlx)?,
    })
}

#[async_trait]
impl PersonalAccessTokenStore for SqliteStore {
    async fn insert_pat(&self, tenant_id: &str, token: &PersonalAccessToken) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO personal_access_tokens (tenant_id, id, user_id, name, token_hash, \
             scopes, created_at, expires_at, last_used_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .bind(tenant_id)
        .bind(&token.id)
        .bind(&token.user_id)
        .bind(&token.name)
        .bind(&token.token_hash)
        .bind(json::encode(&token.scopes)?)
        .bind(token.created_at)
        .bind(token.expires_at)
        .bind(token.last_used_at)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn find_pat_by_hash(
        &self,
        tenant_id: &str,
        token_hash: &[u8],
    ) -> StoreResult<Option<PersonalAccessToken>> {
        sqlx::query("SELECT * FROM personal_access_tokens WHERE tenant_id = ?1 AND token_hash = ?2")
            .bind(tenant_id)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(from_sqlx)?
            .as_ref()
            .map(pat_from_row)
            .transpose()
    }

    async fn list_pats_for_user(
        &self,
        tenant_id: &str,
        user_id: &str,
    ) -> StoreResult<Vec<PersonalAccessToken>> {
        let rows = sqlx::query(
            "SELECT * FROM personal_access_tokens WHERE tenant_id = ?1 AND user_id = ?2 \
             ORDER BY created_at DESC, id DESC",
        )
        .bind(tenant_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(from_sqlx)?;
        rows.iter().map(pat_from_row).collect()
    }

    async fn delete_pat(&self, tenant_id: &str, user_id: &str, id: &str) -> StoreResult<()> {
        // The owner in the condition: someone else's token is as absent as a made-up one.
        let deleted = sqlx::query(
            "DELETE FROM personal_access_tokens WHERE tenant_id = ?1 AND user_id = ?2 \
             AND id = ?3",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn touch_pat(&self, tenant_id: &str, id: &str, now: i64) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE personal_access_tokens SET last_used_at = MAX(COALESCE(last_used_at, ?1), ?1) \
             WHERE tenant_id = ?2 AND id = ?3",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
