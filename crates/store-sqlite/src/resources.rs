//! [`ResourceStore`] on SQLite. Deleting a resource deletes the grants on it by cascade.

use async_trait::async_trait;
use gatehouse_core::ApiResource;
use gatehouse_store::{PageRequest, ResourceStore, StoreError, StoreResult};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{SqliteStore, error::from_sqlx, json, page_limit};

fn resource_from_row(row: &SqliteRow) -> StoreResult<ApiResource> {
    let ttl: i64 = row.try_get("access_token_ttl").map_err(from_sqlx)?;
    let scopes: String = row.try_get("scopes").map_err(from_sqlx)?;
    Ok(ApiResource {
        id: row.try_get("id").map_err(from_sqlx)?,
        name: row.try_get("name").map_err(from_sqlx)?,
        indicator: row.try_get("indicator").map_err(from_sqlx)?,
        access_token_ttl: u32::try_from(ttl)
            .map_err(|_| StoreError::Other(format!("access_token_ttl out of range: {ttl}")))?,
        scopes: json::decode(&scopes, "api_resources.scopes")?,
        builtin: row.try_get("builtin").map_err(from_sqlx)?,
        created_at: row.try_get("created_at").map_err(from_sqlx)?,
        updated_at: row.try_get("updated_at").map_err(from_sqlx)?,
    })
}

#[async_trait]
impl ResourceStore for SqliteStore {
    async fn insert_resource(&self, tenant_id: &str, resource: &ApiResource) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_resources (tenant_id, id, name, indicator, access_token_ttl, \
             scopes, builtin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(tenant_id)
        .bind(&resource.id)
        .bind(&resource.name)
        .bind(&resource.indicator)
        .bind(i64::from(resource.access_token_ttl))
        .bind(json::encode(&resource.scopes)?)
        .bind(resource.builtin)
        .bind(resource.created_at)
        .bind(resource.updated_at)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn find_resource(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ApiResource>> {
        sqlx::query("SELECT * FROM api_resources WHERE tenant_id = ? AND id = ?")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(from_sqlx)?
            .as_ref()
            .map(resource_from_row)
            .transpose()
    }

    async fn find_resource_by_indicator(
        &self,
        tenant_id: &str,
        indicator: &str,
    ) -> StoreResult<Option<ApiResource>> {
        sqlx::query("SELECT * FROM api_resources WHERE tenant_id = ? AND indicator = ?")
            .bind(tenant_id)
            .bind(indicator)
            .fetch_optional(&self.pool)
            .await
            .map_err(from_sqlx)?
            .as_ref()
            .map(resource_from_row)
            .transpose()
    }

    async fn list_resources(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> StoreResult<Vec<ApiResource>> {
        let query = match &page.after {
            Some(after) => sqlx::query(
                "SELECT * FROM api_resources WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?",
            )
            .bind(tenant_id)
            .bind(after),
            None => {
                sqlx::query("SELECT * FROM api_resources WHERE tenant_id = ? ORDER BY id LIMIT ?")
                    .bind(tenant_id)
            }
        };
        let rows = query
            .bind(page_limit(page.limit))
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        rows.iter().map(resource_from_row).collect()
    }

    async fn update_resource(&self, tenant_id: &str, resource: &ApiResource) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE api_resources SET name = ?, access_token_ttl = ?, scopes = ?, updated_at = ? \
             WHERE tenant_id = ? AND id = ?",
        )
        .bind(&resource.name)
        .bind(i64::from(resource.access_token_ttl))
        .bind(json::encode(&resource.scopes)?)
        .bind(resource.updated_at)
        .bind(tenant_id)
        .bind(&resource.id)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_resource(&self, tenant_id: &str, id: &str) -> StoreResult<()> {
        let deleted = sqlx::query("DELETE FROM api_resources WHERE tenant_id = ? AND id = ?")
            .bind(tenant_id)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
