//! [`UserStore`] on PostgreSQL. Uniqueness of the canonical username and email within a tenant is
//! the database's job (constraints `users_username_key`, `users_email_key`), so two concurrent
//! sign-ups cannot both take a name.

use async_trait::async_trait;
use gatehouse_core::profile::Address;
use gatehouse_core::user::User;
use gatehouse_store::{PageRequest, StoreError, StoreResult, UserStore, like_contains_pattern};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::{PostgresStore, error::from_sqlx, json, page_limit};

fn user_from_row(row: &PgRow) -> StoreResult<User> {
    let profile: String = row.try_get("profile").map_err(from_sqlx)?;
    let address: Option<String> = row.try_get("address").map_err(from_sqlx)?;
    Ok(User {
        id: row.try_get("id").map_err(from_sqlx)?,
        username: row.try_get("username").map_err(from_sqlx)?,
        email: row.try_get("email").map_err(from_sqlx)?,
        email_verified: row.try_get("email_verified").map_err(from_sqlx)?,
        name: row.try_get("name").map_err(from_sqlx)?,
        phone_number: row.try_get("phone_number").map_err(from_sqlx)?,
        phone_number_verified: row.try_get("phone_number_verified").map_err(from_sqlx)?,
        profile: json::decode(&profile, "users.profile")?,
        address: address
            .map(|text| json::decode::<Address>(&text, "users.address"))
            .transpose()?
            .filter(|address| !address.is_empty()),
        password_hash: row.try_get("password_hash").map_err(from_sqlx)?,
        disabled: row.try_get("disabled").map_err(from_sqlx)?,
        created_at: row.try_get("created_at").map_err(from_sqlx)?,
        updated_at: row.try_get("updated_at").map_err(from_sqlx)?,
    })
}

/// The `address` column of a user: JSON, or NULL for no address (or one without a member).
fn address_column(user: &User) -> StoreResult<Option<String>> {
    user.address
        .as_ref()
        .filter(|address| !address.is_empty())
        .map(json::encode)
        .transpose()
}

/// Matches users whose username, email or name contains the pattern's text (lowercased).
const SEARCH: &str = "(lower(username) LIKE @Q ESCAPE '\\' OR lower(email) LIKE @Q ESCAPE '\\' \
                      OR lower(name) LIKE @Q ESCAPE '\\')";

/// Inserts a user through any executor (the pool, or a transaction that does more).
pub(crate) async fn insert_user_with<'e, E>(
    executor: E,
    tenant_id: &str,
    user: &User,
) -> StoreResult<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Postgres>,
{
    sqlx::query(
        "INSERT INTO users (tenant_id, id, username, email, email_verified, name, \
         phone_number, phone_number_verified, profile, address, \
         password_hash, disabled, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(tenant_id)
    .bind(&user.id)
    .bind(&user.username)
    .bind(&user.email)
    .bind(user.email_verified)
    .bind(&user.name)
    .bind(&user.phone_number)
    .bind(user.phone_number_verified)
    .bind(json::encode(&user.profile)?)
    .bind(address_column(user)?)
    .bind(&user.password_hash)
    .bind(user.disabled)
    .bind(user.created_at)
    .bind(user.updated_at)
    .execute(executor)
    .await
    .map_err(from_sqlx)?;
    Ok(())
}

#[async_trait]
impl UserStore for PostgresStore {
    async fn insert_user(&self, tenant_id: &str, user: &User) -> StoreResult<()> {
        insert_user_with(&self.pool, tenant_id, user).await
    }

    async fn find_user(&self, tenant_id: &str, id: &str) -> StoreResult<Option<User>> {
        self.find_user_where("id", tenant_id, id).await
    }

    async fn find_user_by_username(
        &self,
        tenant_id: &str,
        username: &str,
    ) -> StoreResult<Option<User>> {
        self.find_user_where("username", tenant_id, username).await
    }

    async fn find_user_by_email(&self, tenant_id: &str, email: &str) -> StoreResult<Option<User>> {
        self.find_user_where("email", tenant_id, email).await
    }

    async fn list_users(
        &self,
        tenant_id: &str,
        page: &PageRequest,
        query: Option<&str>,
    ) -> StoreResult<Vec<User>> {
        let pattern = query.map(like_contains_pattern);
        let search = if pattern.is_some() {
            SEARCH.replace("@Q", "$3")
        } else {
            "$3 IS NULL".to_owned()
        };
        let sql = format!(
            "SELECT * FROM users WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2) \
             AND {search} ORDER BY id LIMIT $4"
        );
        let rows = sqlx::query(&sql)
            .bind(tenant_id)
            .bind(&page.after)
            .bind(&pattern)
            .bind(page_limit(page.limit))
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        rows.iter().map(user_from_row).collect()
    }

    async fn update_user(&self, tenant_id: &str, user: &User) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE users SET username = $1, email = $2, email_verified = $3, name = $4, \
             password_hash = $5, disabled = $6, updated_at = $7, phone_number = $10, \
             phone_number_verified = $11, profile = $12, address = $13 \
             WHERE tenant_id = $8 AND id = $9",
        )
        .bind(&user.username)
        .bind(&user.email)
        .bind(user.email_verified)
        .bind(&user.name)
        .bind(&user.password_hash)
        .bind(user.disabled)
        .bind(user.updated_at)
        .bind(tenant_id)
        .bind(&user.id)
        .bind(&user.phone_number)
        .bind(user.phone_number_verified)
        .bind(json::encode(&user.profile)?)
        .bind(address_column(user)?)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_user(&self, tenant_id: &str, id: &str) -> StoreResult<()> {
        let deleted = sqlx::query("DELETE FROM users WHERE tenant_id = $1 AND id = $2")
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

impl PostgresStore {
    /// One user by an exact match on `column` (a fixed name, never input).
    async fn find_user_where(
        &self,
        column: &'static str,
        tenant_id: &str,
        value: &str,
    ) -> StoreResult<Option<User>> {
        let sql = format!("SELECT * FROM users WHERE tenant_id = $1 AND {column} = $2");
        sqlx::query(&sql)
            .bind(tenant_id)
            .bind(value)
            .fetch_optional(&self.pool)
            .await
            .map_err(from_sqlx)?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }
}
