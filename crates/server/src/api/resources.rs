//! `/api/resources`: register, read, change and delete API resources (RFC 8707 resource
//! indicators and their scopes). The built-in Management API resource is read-only.

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
    ApiResource, ApiResourceList, CreateApiResource, UpdateApiResource,
};
use gatehouse_types::problem::Problem;

/// Registers an API resource.
#[utoipa::path(
    post, path = "/api/resources", tag = "resources",
    request_body = CreateApiResource,
    responses(
        (status = 201, description = "The resource", body = ApiResource),
        (status = 400, description = "The body is not JSON of the expected shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The indicator is taken", body = Problem, content_type = "application/problem+json"),
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
    ApiJson(body): ApiJson<CreateApiResource>,
) -> Result<Response, ApiError> {
    let resource = state.engine.create_resource(&tenant, body).await?;
    audit(&caller, "resource.create", &resource.id);
    Ok(json_no_store(StatusCode::CREATED, &resource))
}

/// Lists API resources ordered by id, one page at a time.
#[utoipa::path(
    get, path = "/api/resources", tag = "resources",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of resources", body = ApiResourceList),
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
    let page = state.engine.list_resources(&tenant, query.into()).await?;
    Ok(json_no_store(StatusCode::OK, &page))
}

/// Reads one API resource.
#[utoipa::path(
    get, path = "/api/resources/{id}", tag = "resources",
    params(("id" = String, Path, description = "The resource's id")),
    responses(
        (status = 200, description = "The resource", body = ApiResource),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource", body = Problem, content_type = "application/problem+json"),
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
    let resource = state.engine.get_resource(&tenant, &id).await?;
    Ok(json_no_store(StatusCode::OK, &resource))
}

/// Changes the given fields of an API resource; given scopes replace the stored ones.
#[utoipa::path(
    patch, path = "/api/resources/{id}", tag = "resources",
    params(("id" = String, Path, description = "The resource's id")),
    request_body = UpdateApiResource,
    responses(
        (status = 200, description = "The changed resource", body = ApiResource),
        (status = 400, description = "The body is not JSON of the expected shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Built-in resources cannot be changed (`builtin_readonly`)", body = Problem, content_type = "application/problem+json"),
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
    ApiJson(body): ApiJson<UpdateApiResource>,
) -> Result<Response, ApiError> {
    let resource = state.engine.update_resource(&tenant, &id, body).await?;
    audit(&caller, "resource.update", &id);
    Ok(json_no_store(StatusCode::OK, &resource))
}

/// Deletes an API resource and every application grant on it. The built-in Management API
/// resource cannot be deleted.
#[utoipa::path(
    delete, path = "/api/resources/{id}", tag = "resources",
    params(("id" = String, Path, description = "The resource's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or an invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `all` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Built-in resources cannot be deleted (`builtin_readonly`)", body = Problem, content_type = "application/problem+json"),
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
    state.engine.delete_resource(&tenant, &id).await?;
    audit(&caller, "resource.delete", &id);
    Ok(StatusCode::NO_CONTENT)
}
