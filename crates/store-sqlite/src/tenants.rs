//! [`TenantStore`] on SQLite.

use async_trait::async_trait;
use gatehouse_core::Tenant;
use gatehouse_store::{PageRequest, StoreResult, TenantStore};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{SqliteStore, error::from_sqlx, page_limit};

fn tenant_from_row(row: &SqliteRow) -> StoreResult<Tenant> {
    Ok(Tenant {
        id: row.try_get("id").map_err(from_sqlx)?,
        name: row.try_get("name").map_err(from_sqlx)?,
        created_at: row.try_get("created_at").map_err(from_sqlx)?,
    })
}

#[async_trait]
impl TenantStore for SqliteStore {
    async fn insert_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)")
            .bind(&tenant.id)
            .bind(&tenant.name)
            .bind(tenant.created_at)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(())
    }

    async fn find_tenant_by_name(&self, name: &str) -> StoreResult<Option<Tenant>> {
        sqlx::query("SELECT id, name, created_at FROM tenants WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(from_sqlx)?
            .as_ref()
            .map(tenant_from_row)
            .transpose()
    }

    async fn list_tenants(&self, page: &PageRequest) -> StoreResult<Vec<Tenant>> {
        let query = match &page.after {
            Some(after) => sqlx::query(
                "SELECT id, name, created_at FROM tenants WHERE id > ? ORDER BY id LIMIT ?",
            )
            .bind(after),
            None => sqlx::query("SELECT id, name, created_at FROM tenants ORDER BY id LIMIT ?"),
        };
        let rows = query
            .bind(page_limit(page.limit))
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        rows.iter().map(tenant_from_row).collect()
    }
}
