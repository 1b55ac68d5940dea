//! Pending authorizations (interactions) and remembered consent on SQLite.
//!
//! An interaction is consumed by one `DELETE ... WHERE expires_at > now RETURNING`: SQLite
//! runs a writing statement under the database's write lock, so of any number of concurrent
//! callers (on any connection) exactly one deletes the row and gets it back. A consent is
//! written by one `INSERT ... ON CONFLICT DO UPDATE`, which keeps the first `created_at`.

use async_trait::async_trait;
use gatehouse_core::{Consent, Interaction};
use gatehouse_store::{ConsentStore, InteractionStore, StoreError, StoreResult};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{SqliteStore, error::from_sqlx, json};

fn interaction_from_row(row: &SqliteRow) -> StoreResult<Interaction> {
    Ok(Interaction {
        id: row.try_get("id").map_err(from_sqlx)?,
        browser_hash: row.try_get("browser_hash").map_err(from_sqlx)?,
        client_id: row.try_get("client_id").map_err(from_sqlx)?,
        params: row.try_get("params").map_err(from_sqlx)?,
        created_at: row.try_get("created_at").map_err(from_sqlx)?,
        expires_at: row.try_get("expires_at").map_err(from_sqlx)?,
    })
}

fn consent_from_row(row: &SqliteRow) -> StoreResult<Consent> {
    let scopes: String = row.try_get("scopes").map_err(from_sqlx)?;
    let resources: String = row.try_get("resources").map_err(from_sqlx)?;
    Ok(Consent {
        user_id: row.try_get("user_id").map_err(from_sqlx)?,
        client_id: row.try_get("client_id").map_err(from_sqlx)?,
        scopes: json::decode(&scopes, "consents.scopes")?,
        resources: json::decode(&resources, "consents.resources")?,
        created_at: row.try_get("created_at").map_err(from_sqlx)?,
        updated_at: row.try_get("updated_at").map_err(from_sqlx)?,
    })
}

#[async_trait]
impl InteractionStore for SqliteStore {
    async fn insert_interaction(
        &self,
        tenant_id: &str,
        interaction: &Interaction,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO interactions (tenant_id, id, browser_hash, client_id, params, \
             created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(tenant_id)
        .bind(&interaction.id)
        .bind(&interaction.browser_hash)
        .bind(&interaction.client_id)
        .bind(&interaction.params)
        .bind(interaction.created_at)
        .bind(interaction.expires_at)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn find_interaction(
        &self,
        tenant_id: &str,
        id: &str,
        now: i64,
    ) -> StoreResult<Option<Interaction>> {
        sqlx::query(
            "SELECT * FROM interactions WHERE tenant_id = ?1 AND id = ?2 AND expires_at > ?3",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(from_sqlx)?
        .as_ref()
        .map(interaction_from_row)
        .transpose()
    }

    async fn consume_interaction(
        &self,
        tenant_id: &str,
        id: &str,
        now: i64,
    ) -> StoreResult<Option<Interaction>> {
        // One statement: no explicit transaction is needed for it to be atomic.
        sqlx::query(
            "DELETE FROM interactions WHERE tenant_id = ?1 AND id = ?2 AND expires_at > ?3 \
             RETURNING *",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(from_sqlx)?
        .as_ref()
        .map(interaction_from_row)
        .transpose()
    }
}

#[async_trait]
impl ConsentStore for SqliteStore {
    async fn upsert_consent(&self, tenant_id: &str, consent: &Consent) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO consents (tenant_id, user_id, client_id, scopes, resources, \
             created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (tenant_id, user_id, client_id) DO UPDATE SET \
             scopes = excluded.scopes, resources = excluded.resources, \
             updated_at = excluded.updated_at",
        )
        .bind(tenant_id)
        .bind(&consent.user_id)
        .bind(&consent.client_id)
        .bind(json::encode(&consent.scopes)?)
        .bind(json::encode(&consent.resources)?)
        .bind(consent.created_at)
        .bind(consent.updated_at)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn find_consent(
        &self,
        tenant_id: &str,
        user_id: &str,
        client_id: &str,
    ) -> StoreResult<Option<Consent>> {
        sqlx::query(
            "SELECT * FROM consents WHERE tenant_id = ?1 AND user_id = ?2 AND client_id = ?3",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(from_sqlx)?
        .as_ref()
        .map(consent_from_row)
        .transpose()
    }

    async fn list_consents_for_user(
        &self,
        tenant_id: &str,
        user_id: &str,
    ) -> StoreResult<Vec<Consent>> {
        let rows = sqlx::query(
            "SELECT * FROM consents WHERE tenant_id = ?1 AND user_id = ?2 \
             ORDER BY updated_at DESC, client_id",
        )
        .bind(tenant_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(from_sqlx)?;
        rows.iter().map(consent_from_row).collect()
    }

    async fn delete_consent(
        &self,
        tenant_id: &str,
        user_id: &str,
        client_id: &str,
    ) -> StoreResult<()> {
        let deleted = sqlx::query(
            "DELETE FROM consents WHERE tenant_id = ?1 AND user_id = ?2 AND client_id = ?3",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(client_id)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
