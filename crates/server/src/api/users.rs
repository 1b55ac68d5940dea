//! `/api/users`: create, search, read, change and delete users. Passwords go in, never out:
//! bodies show `has_password`, not the hash (checklist K-04).

use super::json::{ApiJson, ApiQuery};
use super::{ListQuery, audit};
use crate::AppState;
use crate::api::auth::ManagementCaller;
use crate::error::{ApiError, json_no_store};
use crate::tenant::CurrentTenant;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_types::account::{
    CreatePersonalAccessToken, CreatedPersonalAccessToken, PersonalAccessTokenList,
};
use gatehouse_types::management::{CreateUser, UpdateUser, User, UserList};
use gatehouse_types::problem::Problem;
use serde::Deserialize;

/// Query parameters of `GET /api/users`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Keeps users whose username, email or name contains this text (case-insensitive).
    pub q: Option<String>,
    /// Items after this id: the previous page's `next_cursor`.
    pub after: Option<String>,
    /// Page size, 1..=200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Creates a user.
#[utoipa::path(
    post, path = "/api/users", tag = "users",
    request_body = CreateUser,
    responses(
        (status = 201, description = "The user", body = User),
        (status = 400, description = "The body is not JSON of the expected shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The username or email is taken", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (for example a weak `password`), each named in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable or password hashing is saturated", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    caller: ManagementCaller,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<Response, ApiError> {
    let user = state.engine.create_user(&tenant, body).await?;
    audit(&caller, "user.create", &user.id);
    Ok(json_no_store(StatusCode::CREATED, &user))
}

/// Lists users ordered by id, one page at a time, optionally searching.
#[utoipa::path(
    get, path = "/api/users", tag = "users",
    params(UserListQuery),
    responses(
        (status = 200, description = "A page of users", body = UserList),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid query parameters", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    _: ManagementCaller,
    ApiQuery(query): ApiQuery<UserListQuery>,
) -> Result<Response, ApiError> {
    let page = ListQuery {
        after: query.after,
        limit: query.limit,
    };
    let users = state
        .engine
        .list_users(&tenant, query.q.as_deref(), page.into())
        .await?;
    Ok(json_no_store(StatusCode::OK, &users))
}

/// Reads one user.
#[utoipa::path(
    get, path = "/api/users/{id}", tag = "users",
    params(("id" = String, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    _: ManagementCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let user = state.engine.get_user(&tenant, &id).await?;
    Ok(json_no_store(StatusCode::OK, &user))
}

/// Changes the given fields of a user; a new password is checked against the policy.
#[utoipa::path(
    patch, path = "/api/users/{id}", tag = "users",
    params(("id" = String, Path, description = "The user's id")),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "The changed user", body = User),
        (status = 400, description = "The body is not JSON of the expected shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The username or email is taken", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable or password hashing is saturated", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    caller: ManagementCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> Result<Response, ApiError> {
    let user = state.engine.update_user(&tenant, &id, body).await?;
    audit(&caller, "user.update", &id);
    Ok(json_no_store(StatusCode::OK, &user))
}

/// Deletes a user.
#[utoipa::path(
    delete, path = "/api/users/{id}", tag = "users",
    params(("id" = String, Path, description = "The user's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    caller: ManagementCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.delete_user(&tenant, &id).await?;
    audit(&caller, "user.delete", &id);
    Ok(StatusCode::NO_CONTENT)
}

/// Creates a personal access token for a user (the secret is in this answer only).
#[utoipa::path(
    post, path = "/api/users/{id}/tokens", tag = "users",
    params(("id" = String, Path, description = "The user's id")),
    request_body = CreatePersonalAccessToken,
    responses(
        (status = 201, description = "The token, with its secret (shown once)", body = CreatedPersonalAccessToken),
        (status = 400, description = "The body is not JSON of the expected shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_token(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    caller: ManagementCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreatePersonalAccessToken>,
) -> Result<Response, ApiError> {
    state.engine.get_user(&tenant, &id).await?;
    let created = state.engine.create_pat(&tenant, &id, body).await?;
    audit(&caller, "user.token.create", &created.info.id);
    Ok(json_no_store(StatusCode::CREATED, &created))
}

/// Lists a user's personal access tokens (never their secrets), newest first.
#[utoipa::path(
    get, path = "/api/users/{id}/tokens", tag = "users",
    params(("id" = String, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The tokens", body = PersonalAccessTokenList),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_tokens(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    _caller: ManagementCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state.engine.get_user(&tenant, &id).await?;
    let tokens = state.engine.list_pats(&tenant, &id).await?;
    Ok(json_no_store(
        StatusCode::OK,
        &PersonalAccessTokenList { tokens },
    ))
}

/// Revokes a user's personal access token and the access tokens exchanged for it.
#[utoipa::path(
    delete, path = "/api/users/{id}/tokens/{token_id}", tag = "users",
    params(
        ("id" = String, Path, description = "The user's id"),
        ("token_id" = String, Path, description = "The token's id"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user or token", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    caller: ManagementCaller,
    Path((id, token_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.engine.revoke_pat(&tenant, &id, &token_id).await?;
    audit(&caller, "user.token.revoke", &token_id);
    Ok(StatusCode::NO_CONTENT)
}
