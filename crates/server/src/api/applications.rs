//! `/api/applications`: register, read, change and delete applications (OAuth clients), with
//! their refresh token lifetimes and `private_key_jwt` keys, and rotate their client secrets.
//! Each handler extracts, calls the engine, maps the outcome.

use super::json::{ApiJson, ApiQuery};
use super::{ListQuery, audit};
use crate::AppState;
use crate::api::auth::ManagementCaller;
use crate::error::{ApiError, json_no_store};
use crate::tenant::CurrentTenant;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_types::management::{
    Application, ApplicationList, ClientSecretList, CreateApplication, CreateClientSecret,
    CreatedApplication, CreatedClientSecret, UpdateApplication,
};
use gatehouse_types::problem::Problem;

/// Registers an application; confidential types (`web`, `m2m`) get their first client secret,
/// shown only in this answer, unless they register a public JWK Set (`jwks`) to authenticate
/// with `private_key_jwt`. `refresh_token_absolute_ttl` and `refresh_token_idle_ttl` set the
/// application's own refresh token lifetimes (the idle one at most the absolute one).
#[utoipa::path(
    post, path = "/api/applications", tag = "applications",
    request_body = CreateApplication,
    responses(
        (status = 201, description = "The application, with its first secret for confidential types without a JWK Set", body = CreatedApplication),
        (status = 400, description = "The body is not JSON of the expected shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The id is taken", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    caller: ManagementCaller,
    ApiJson(body): ApiJson<CreateApplication>,
) -> Result<Response, ApiError> {
    let created = state.engine.create_application(&tenant, body).await?;
    audit(&caller, "application.create", &created.application.id);
    Ok(json_no_store(StatusCode::CREATED, &created))
}

/// Lists applications ordered by id, one page at a time.
#[utoipa::path(
    get, path = "/api/applications", tag = "applications",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of applications", body = ApplicationList),
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
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let page = state
        .engine
        .list_applications(&tenant, query.into())
        .await?;
    Ok(json_no_store(StatusCode::OK, &page))
}

/// Reads one application.
#[utoipa::path(
    get, path = "/api/applications/{id}", tag = "applications",
    params(("id" = String, Path, description = "The application's client_id")),
    responses(
        (status = 200, description = "The application", body = Application),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application", body = Problem, content_type = "application/problem+json"),
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
    let app = state.engine.get_application(&tenant, &id).await?;
    Ok(json_no_store(StatusCode::OK, &app))
}

/// Changes the given fields of an application; lists given replace the stored ones. `null`
/// returns a refresh token lifetime to the server default, and removes the JWK Set.
#[utoipa::path(
    patch, path = "/api/applications/{id}", tag = "applications",
    params(("id" = String, Path, description = "The application's client_id")),
    request_body = UpdateApplication,
    responses(
        (status = 200, description = "The changed application", body = Application),
        (status = 400, description = "The body is not JSON of the expected shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    caller: ManagementCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateApplication>,
) -> Result<Response, ApiError> {
    let app = state.engine.update_application(&tenant, &id, body).await?;
    audit(&caller, "application.update", &id);
    Ok(json_no_store(StatusCode::OK, &app))
}

/// Deletes an application with its secrets and grants. Built-in applications cannot be deleted.
#[utoipa::path(
    delete, path = "/api/applications/{id}", tag = "applications",
    params(("id" = String, Path, description = "The application's client_id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Built-in applications cannot be deleted (`builtin_readonly`)", body = Problem, content_type = "application/problem+json"),
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
    state.engine.delete_application(&tenant, &id).await?;
    audit(&caller, "application.delete", &id);
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a client secret to a confidential application; the secret is shown only in this answer.
/// Several secrets may be active at once: create a new one, deploy it, delete the old one.
#[utoipa::path(
    post, path = "/api/applications/{id}/secrets", tag = "applications",
    params(("id" = String, Path, description = "The application's client_id")),
    request_body = CreateClientSecret,
    responses(
        (status = 201, description = "The new secret, shown once", body = CreatedClientSecret),
        (status = 400, description = "The body is not JSON of the expected shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The application holds the most secrets allowed", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or a public application (field `type`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_secret(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    caller: ManagementCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateClientSecret>,
) -> Result<Response, ApiError> {
    let created = state
        .engine
        .create_client_secret(&tenant, &id, body)
        .await?;
    audit(&caller, "client_secret.create", &created.info.id);
    Ok(json_no_store(StatusCode::CREATED, &created))
}

/// Lists an application's client secrets (metadata only, expired ones included), oldest first.
#[utoipa::path(
    get, path = "/api/applications/{id}/secrets", tag = "applications",
    params(("id" = String, Path, description = "The application's client_id")),
    responses(
        (status = 200, description = "The secrets' metadata", body = ClientSecretList),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_secrets(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    _: ManagementCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let secrets = state.engine.list_client_secrets(&tenant, &id).await?;
    Ok(json_no_store(StatusCode::OK, &secrets))
}

/// Deletes a client secret; it stops working at once.
#[utoipa::path(
    delete, path = "/api/applications/{id}/secrets/{secret_id}", tag = "applications",
    params(
        ("id" = String, Path, description = "The application's client_id"),
        ("secret_id" = String, Path, description = "The secret's id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application or secret", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn delete_secret(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    caller: ManagementCaller,
    Path((id, secret_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state
        .engine
        .delete_client_secret(&tenant, &id, &secret_id)
        .await?;
    audit(&caller, "client_secret.delete", &secret_id);
    Ok(StatusCode::NO_CONTENT)
}
