//! The Management API under `/api`: bearer JWTs whose audience is the tenant's Management API
//! indicator (`<issuer>/api`) and whose scope holds `all`. Errors are problem+json with the
//! stable codes of [`crate::error::codes`]; [`From<ManagementError>`] below is their one mapping.
//!
//! | Method | Path                                     | Success |
//! |--------|------------------------------------------|---------|
//! | POST   | `/applications`                          | 201     |
//! | GET    | `/applications`                          | 200     |
//! | GET    | `/applications/{id}`                     | 200     |
//! | PATCH  | `/applications/{id}`                     | 200     |
//! | DELETE | `/applications/{id}`                     | 204     |
//! | POST   | `/applications/{id}/secrets`             | 201     |
//! | GET    | `/applications/{id}/secrets`             | 200     |
//! | DELETE | `/applications/{id}/secrets/{secret_id}` | 204     |
//! | POST   | `/resources`                             | 201     |
//! | GET    | `/resources`                             | 200     |
//! | GET    | `/resources/{id}`                        | 200     |
//! | PATCH  | `/resources/{id}`                        | 200     |
//! | DELETE | `/resources/{id}`                        | 204     |
//! | POST   | `/users`                                 | 201     |
//! | GET    | `/users` (`?q=&after=&limit=`)           | 200     |
//! | GET    | `/users/{id}`                            | 200     |
//! | PATCH  | `/users/{id}`                            | 200     |
//! | DELETE | `/users/{id}`                            | 204     |
//! | POST   | `/users/{id}/tokens`                     | 201     |
//! | GET    | `/users/{id}/tokens`                     | 200     |
//! | DELETE | `/users/{id}/tokens/{token_id}`          | 204     |
//! | GET    | `/openapi.json` (no authentication)      | 200     |
//!
//! Built-in records (the `gatehouse-cli` application, the Management API resource) answer
//! 409 `builtin_readonly` to what they do not allow: the request conflicts with the record's
//! state, while 403 stays reserved for a token lacking the scope.

pub mod applications;
pub mod auth;
pub mod json;
pub mod openapi;
pub mod resources;
pub mod users;

use crate::AppState;
use crate::error::{ApiError, codes};
use auth::ManagementCaller;
use axum::Router;
use axum::handler::Handler;
use axum::http::{Method, StatusCode};
use axum::routing::{MethodFilter, MethodRouter, get, on};
use gatehouse_oidc::management::{ListOptions, ManagementError};
use serde::Deserialize;

impl From<ManagementError> for ApiError {
    fn from(error: ManagementError) -> Self {
        match error {
            ManagementError::Validation(errors) => ApiError::validation(errors),
            ManagementError::NotFound(what) => ApiError::not_found(what),
            ManagementError::Conflict(message) => {
                ApiError::new(StatusCode::CONFLICT, codes::CONFLICT, message)
            }
            ManagementError::BuiltinReadonly(what) => ApiError::new(
                StatusCode::CONFLICT,
                codes::BUILTIN_READONLY,
                format!("the built-in {what} cannot be changed or deleted"),
            ),
            ManagementError::Unavailable(message) => {
                tracing::warn!(%message, "management request failed: storage unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    codes::UNAVAILABLE,
                    "the database is unavailable, retry later",
                )
            }
            ManagementError::Internal(message) => ApiError::internal(message),
        }
    }
}

/// Query parameters of list endpoints.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Items after this id: the previous page's `next_cursor`.
    pub after: Option<String>,
    /// Page size, 1..=200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

impl From<ListQuery> for ListOptions {
    fn from(query: ListQuery) -> Self {
        Self {
            after: query.after,
            limit: query.limit,
        }
    }
}

/// Records who changed what (never a secret).
fn audit(caller: &ManagementCaller, action: &str, id: &str) {
    tracing::info!(actor = %caller.claims.sub, client_id = %caller.claims.client_id, action, id, "management change");
}

/// One authenticated route, relative to `/api`.
pub struct ApiRoute {
    /// The HTTP method.
    pub method: Method,
    /// The path, in axum syntax (`/{id}`), which is also OpenAPI's.
    pub path: &'static str,
    handler: MethodRouter<AppState>,
}

fn route<H, T>(method: Method, path: &'static str, handler: H) -> ApiRoute
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let handler = match MethodFilter::try_from(method.clone()) {
        Ok(filter) => on(filter, handler),
        Err(_) => MethodRouter::new(),
    };
    ApiRoute {
        method,
        path,
        handler,
    }
}

/// Every authenticated route: the router is built from this table and a test checks the OpenAPI
/// document describes exactly these operations.
pub fn routes() -> Vec<ApiRoute> {
    vec![
        route(Method::POST, "/applications", applications::create),
        route(Method::GET, "/applications", applications::list),
        route(Method::GET, "/applications/{id}", applications::get),
        route(Method::PATCH, "/applications/{id}", applications::update),
        route(Method::DELETE, "/applications/{id}", applications::delete),
        route(
            Method::POST,
            "/applications/{id}/secrets",
            applications::create_secret,
        ),
        route(
            Method::GET,
            "/applications/{id}/secrets",
            applications::list_secrets,
        ),
        route(
            Method::DELETE,
            "/applications/{id}/secrets/{secret_id}",
            applications::delete_secret,
        ),
        route(Method::POST, "/resources", resources::create),
        route(Method::GET, "/resources", resources::list),
        route(Method::GET, "/resources/{id}", resources::get),
        route(Method::PATCH, "/resources/{id}", resources::update),
        route(Method::DELETE, "/resources/{id}", resources::delete),
        route(Method::POST, "/users", users::create),
        route(Method::GET, "/users", users::list),
        route(Method::GET, "/users/{id}", users::get),
        route(Method::PATCH, "/users/{id}", users::update),
        route(Method::DELETE, "/users/{id}", users::delete),
        route(Method::POST, "/users/{id}/tokens", users::create_token),
        route(Method::GET, "/users/{id}/tokens", users::list_tokens),
        route(
            Method::DELETE,
            "/users/{id}/tokens/{token_id}",
            users::revoke_token,
        ),
    ]
}

async fn unknown_route() -> ApiError {
    ApiError::not_found("route")
}

/// The Management API routes (mounted at `/api`).
pub fn router() -> Router<AppState> {
    let public = Router::new()
        .route(openapi::PATH, get(openapi::serve))
        .nest("/my-account", crate::account::router())
        .fallback(unknown_route);
    routes().into_iter().fold(public, |router, api_route| {
        router.route(api_route.path, api_route.handler)
    })
}
