//! [`ApplicationStore`] on SQLite: applications, their resource grants (replaced with the
//! application row in one transaction) and their client secrets.

use std::collections::HashMap;

use async_trait::async_trait;
use gatehouse_core::{Application, ApplicationType, ClientSecret, ResourceGrant};
use gatehouse_store::{ApplicationStore, PageRequest, StoreError, StoreResult};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::{SqliteStore, error::from_sqlx, json, page_limit};

/// The columns of an application row, for `concat!` into queries.
macro_rules! application_columns {
    () => {
        "a.id, a.name, a.app_type, a.redirect_uris, a.post_logout_redirect_uris, \
         a.third_party, a.builtin, a.refresh_token_absolute_ttl, a.refresh_token_idle_ttl, \
         a.jwks, a.device_flow, a.created_at, a.updated_at"
    };
}

/// An application row, without its grants.
fn application_from_row(row: &SqliteRow) -> StoreResult<Application> {
    let app_type: String = row.try_get("app_type").map_err(from_sqlx)?;
    let redirect_uris: String = row.try_get("redirect_uris").map_err(from_sqlx)?;
    let post_logout: String = row
        .try_get("post_logout_redirect_uris")
        .map_err(from_sqlx)?;
    Ok(Application {
        id: row.try_get("id").map_err(from_sqlx)?,
        name: row.try_get("name").map_err(from_sqlx)?,
        app_type: ApplicationType::parse(&app_type)
            .ok_or_else(|| StoreError::Other(format!("unknown application type {app_type:?}")))?,
        redirect_uris: json::decode(&redirect_uris, "redirect_uris")?,
        post_logout_redirect_uris: json::decode(&post_logout, "post_logout_redirect_uris")?,
        third_party: row.try_get("third_party").map_err(from_sqlx)?,
        builtin: row.try_get("builtin").map_err(from_sqlx)?,
        resource_grants: Vec::new(),
        refresh_token_absolute_ttl: optional_seconds(row, "refresh_token_absolute_ttl")?,
        refresh_token_idle_ttl: optional_seconds(row, "refresh_token_idle_ttl")?,
        jwks: row.try_get("jwks").map_err(from_sqlx)?,
        device_flow: row.try_get("device_flow").map_err(from_sqlx)?,
        created_at: row.try_get("created_at").map_err(from_sqlx)?,
        updated_at: row.try_get("updated_at").map_err(from_sqlx)?,
    })
}

/// A nullable lifetime column (seconds, stored as a 64-bit integer).
fn optional_seconds(row: &SqliteRow, column: &str) -> StoreResult<Option<u32>> {
    let value: Option<i64> = row.try_get(column).map_err(from_sqlx)?;
    value
        .map(|seconds| {
            u32::try_from(seconds)
                .map_err(|_| StoreError::Other(format!("{column} out of range: {seconds}")))
        })
        .transpose()
}

fn grant_from_row(row: &SqliteRow) -> StoreResult<ResourceGrant> {
    let scopes: String = row.try_get("grant_scopes").map_err(from_sqlx)?;
    Ok(ResourceGrant {
        resource_id: row.try_get("resource_id").map_err(from_sqlx)?,
        scopes: json::decode(&scopes, "application_resource_grants.scopes")?,
    })
}

fn secret_from_row(row: &SqliteRow) -> StoreResult<ClientSecret> {
    Ok(ClientSecret {
        id: row.try_get("id").map_err(from_sqlx)?,
        application_id: row.try_get("application_id").map_err(from_sqlx)?,
        name: row.try_get("name").map_err(from_sqlx)?,
        secret_hash: row.try_get("secret_hash").map_err(from_sqlx)?,
        created_at: row.try_get("created_at").map_err(from_sqlx)?,
        expires_at: row.try_get("expires_at").map_err(from_sqlx)?,
    })
}

/// Inserts the grants of an application whose old grants are gone.
async fn insert_grants(
    conn: &mut SqliteConnection,
    tenant_id: &str,
    app: &Application,
) -> StoreResult<()> {
    for grant in &app.resource_grants {
        sqlx::query(
            "INSERT INTO application_resource_grants \
             (tenant_id, application_id, resource_id, scopes) VALUES (?, ?, ?, ?)",
        )
        .bind(tenant_id)
        .bind(&app.id)
        .bind(&grant.resource_id)
        .bind(json::encode(&grant.scopes)?)
        .execute(&mut *conn)
        .await
        .map_err(from_sqlx)?;
    }
    Ok(())
}

#[async_trait]
impl ApplicationStore for SqliteStore {
    async fn insert_application(&self, tenant_id: &str, app: &Application) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO applications (tenant_id, id, name, app_type, redirect_uris, \
             post_logout_redirect_uris, third_party, builtin, refresh_token_absolute_ttl, \
             refresh_token_idle_ttl, jwks, device_flow, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(tenant_id)
        .bind(&app.id)
        .bind(&app.name)
        .bind(app.app_type.as_str())
        .bind(json::encode(&app.redirect_uris)?)
        .bind(json::encode(&app.post_logout_redirect_uris)?)
        .bind(app.third_party)
        .bind(app.builtin)
        .bind(app.refresh_token_absolute_ttl.map(i64::from))
        .bind(app.refresh_token_idle_ttl.map(i64::from))
        .bind(&app.jwks)
        .bind(app.device_flow)
        .bind(app.created_at)
        .bind(app.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        insert_grants(&mut tx, tenant_id, app).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    async fn find_application(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> StoreResult<Option<Application>> {
        // One indexed round trip: the application row repeated once per grant.
        let rows = sqlx::query(concat!(
            "SELECT ",
            application_columns!(),
            ", g.resource_id, g.scopes AS grant_scopes \
             FROM applications a LEFT JOIN application_resource_grants g \
             ON g.tenant_id = a.tenant_id AND g.application_id = a.id \
             WHERE a.tenant_id = ? AND a.id = ? ORDER BY g.resource_id"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(from_sqlx)?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let mut app = application_from_row(first)?;
        for row in &rows {
            let resource_id: Option<String> = row.try_get("resource_id").map_err(from_sqlx)?;
            if resource_id.is_some() {
                app.resource_grants.push(grant_from_row(row)?);
            }
        }
        Ok(Some(app))
    }

    async fn find_client(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> StoreResult<Option<(Application, Vec<ClientSecret>)>> {
        // One round trip, on a hot connection: the application row once per grant, its secrets
        // as a JSON column.
        let query = sqlx::query(concat!(
            "SELECT ",
            application_columns!(),
            ", g.resource_id, g.scopes AS grant_scopes, \
             (SELECT json_group_array(json_array(id, name, hex(secret_hash), created_at, expires_at)) \
             FROM (SELECT id, name, secret_hash, created_at, expires_at FROM client_secrets s \
             WHERE s.tenant_id = a.tenant_id AND s.application_id = a.id ORDER BY created_at, id)) \
             AS secrets_json \
             FROM applications a LEFT JOIN application_resource_grants g \
             ON g.tenant_id = a.tenant_id AND g.application_id = a.id \
             WHERE a.tenant_id = ? AND a.id = ? ORDER BY g.resource_id"
        ))
        .bind(tenant_id)
        .bind(id);
        let rows = self.fetch_all_hot(query).await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let mut app = application_from_row(first)?;
        for row in &rows {
            let resource_id: Option<String> = row.try_get("resource_id").map_err(from_sqlx)?;
            if resource_id.is_some() {
                app.resource_grants.push(grant_from_row(row)?);
            }
        }
        let secrets_json: String = first.try_get("secrets_json").map_err(from_sqlx)?;
        let secrets = gatehouse_store::decode_secrets_json(&app.id, &secrets_json)?;
        Ok(Some((app, secrets)))
    }

    async fn list_applications(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> StoreResult<Vec<Application>> {
        let query = match &page.after {
            Some(after) => sqlx::query(concat!(
                "SELECT ",
                application_columns!(),
                " FROM applications a WHERE a.tenant_id = ? AND a.id > ? ORDER BY a.id LIMIT ?"
            ))
            .bind(tenant_id)
            .bind(after),
            None => sqlx::query(concat!(
                "SELECT ",
                application_columns!(),
                " FROM applications a WHERE a.tenant_id = ? ORDER BY a.id LIMIT ?"
            ))
            .bind(tenant_id),
        };
        let rows = query
            .bind(page_limit(page.limit))
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        let mut apps = rows
            .iter()
            .map(application_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let (Some(first), Some(last)) = (apps.first(), apps.last()) else {
            return Ok(apps);
        };
        // Every application whose id lies between the page's first and last is on the page,
        // so one range query fetches exactly the page's grants.
        let grant_rows = sqlx::query(
            "SELECT application_id, resource_id, scopes AS grant_scopes \
             FROM application_resource_grants \
             WHERE tenant_id = ? AND application_id >= ? AND application_id <= ? \
             ORDER BY application_id, resource_id",
        )
        .bind(tenant_id)
        .bind(&first.id)
        .bind(&last.id)
        .fetch_all(&self.pool)
        .await
        .map_err(from_sqlx)?;
        let mut grants: HashMap<String, Vec<ResourceGrant>> = HashMap::new();
        for row in &grant_rows {
            let application_id: String = row.try_get("application_id").map_err(from_sqlx)?;
            grants
                .entry(application_id)
                .or_default()
                .push(grant_from_row(row)?);
        }
        for app in &mut apps {
            app.resource_grants = grants.remove(&app.id).unwrap_or_default();
        }
        Ok(apps)
    }

    async fn update_application(&self, tenant_id: &str, app: &Application) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE applications SET name = ?, redirect_uris = ?, post_logout_redirect_uris = ?, \
             third_party = ?, refresh_token_absolute_ttl = ?, refresh_token_idle_ttl = ?, \
             jwks = ?, device_flow = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
        )
        .bind(&app.name)
        .bind(json::encode(&app.redirect_uris)?)
        .bind(json::encode(&app.post_logout_redirect_uris)?)
        .bind(app.third_party)
        .bind(app.refresh_token_absolute_ttl.map(i64::from))
        .bind(app.refresh_token_idle_ttl.map(i64::from))
        .bind(&app.jwks)
        .bind(app.device_flow)
        .bind(app.updated_at)
        .bind(tenant_id)
        .bind(&app.id)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "DELETE FROM application_resource_grants WHERE tenant_id = ? AND application_id = ?",
        )
        .bind(tenant_id)
        .bind(&app.id)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        insert_grants(&mut tx, tenant_id, app).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    async fn delete_application(&self, tenant_id: &str, id: &str) -> StoreResult<()> {
        // Secrets and grants go with it (ON DELETE CASCADE).
        let deleted = sqlx::query("DELETE FROM applications WHERE tenant_id = ? AND id = ?")
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

    async fn insert_client_secret(
        &self,
        tenant_id: &str,
        secret: &ClientSecret,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO client_secrets \
             (tenant_id, id, application_id, name, secret_hash, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(tenant_id)
        .bind(&secret.id)
        .bind(&secret.application_id)
        .bind(&secret.name)
        .bind(&secret.secret_hash)
        .bind(secret.created_at)
        .bind(secret.expires_at)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn list_client_secrets(
        &self,
        tenant_id: &str,
        application_id: &str,
    ) -> StoreResult<Vec<ClientSecret>> {
        let rows = sqlx::query(
            "SELECT id, application_id, name, secret_hash, created_at, expires_at \
             FROM client_secrets WHERE tenant_id = ? AND application_id = ? \
             ORDER BY created_at, id",
        )
        .bind(tenant_id)
        .bind(application_id)
        .fetch_all(&self.pool)
        .await
        .map_err(from_sqlx)?;
        rows.iter().map(secret_from_row).collect()
    }

    async fn delete_client_secret(
        &self,
        tenant_id: &str,
        application_id: &str,
        secret_id: &str,
    ) -> StoreResult<()> {
        let deleted = sqlx::query(
            "DELETE FROM client_secrets WHERE tenant_id = ? AND application_id = ? AND id = ?",
        )
        .bind(tenant_id)
        .bind(application_id)
        .bind(secret_id)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn client_generation(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT value FROM client_generation WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(from_sqlx)?;
        row.try_get("value").map_err(from_sqlx)
    }
}
