//! The Account API under `/api/my-account`: a signed-in person's own sessions and consents.
//! Bearer JWTs for the tenant's Account API resource (`<issuer>/api/my-account`), obtained by
//! a first-party application through the authorization code flow; session cookies are never
//! accepted here (checklist S-10). Errors are problem+json like the Management API's.
//!
//! | Method | Path                       | Success |
//! |--------|----------------------------|---------|
//! | GET    | `/`                        | 200     |
//! | GET    | `/sessions`                | 200     |
//! | DELETE | `/sessions/{id}`           | 204     |
//! | GET    | `/consents`                | 200     |
//! | DELETE | `/consents/{client_id}`    | 204     |
//! | POST   | `/tokens`                  | 201     |
//! | GET    | `/tokens`                  | 200     |
//! | DELETE | `/tokens/{id}`             | 204     |

use crate::AppState;
use crate::api::json::ApiJson;
use crate::error::{ApiError, codes, json_no_store};
use crate::tenant::CurrentTenant;
use axum::Router;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use gatehouse_oidc::account::{AccountCaller, AccountError};
use gatehouse_oidc::users::user_view;
use gatehouse_types::account::{AccountConsentList, AccountSessionList};
use gatehouse_types::account::{CreatePersonalAccessToken, PersonalAccessTokenList};

/// The Account API routes (mounted at `/api/my-account`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(profile))
        .route("/sessions", get(sessions))
        .route("/sessions/{id}", delete(end_session))
        .route("/consents", get(consents))
        .route("/consents/{client_id}", delete(revoke_consent))
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}", delete(revoke_token))
        .layer(crate::cors::layer())
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Unauthenticated(text) => {
                let mut api_error =
                    ApiError::new(StatusCode::UNAUTHORIZED, codes::UNAUTHENTICATED, text);
                api_error.challenge =
                    Some("Bearer realm=\"gatehouse\", error=\"invalid_token\"".to_owned());
                api_error
            }
            AccountError::NotFound(what) => ApiError::not_found(what),
            AccountError::Unavailable(error) => {
                tracing::warn!(
                    detail = error.detail.as_deref().unwrap_or(""),
                    "account request failed"
                );
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    codes::UNAVAILABLE,
                    "the database is unavailable, retry later",
                )
            }
        }
    }
}

/// The person calling, authenticated by an Account API bearer token.
pub struct Caller(AccountCaller);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let CurrentTenant(tenant) = CurrentTenant::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found("tenant"))?;
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or_else(|| {
                let mut error = ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    codes::UNAUTHENTICATED,
                    "a bearer token is required",
                );
                error.challenge = Some("Bearer realm=\"gatehouse\"".to_owned());
                error
            })?;
        let caller = state.engine.authenticate_account(&tenant, token).await?;
        Ok(Self(caller))
    }
}

async fn profile(Caller(caller): Caller) -> Response {
    json_no_store(StatusCode::OK, &user_view(caller.user))
}

async fn sessions(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    let sessions = state.engine.list_account_sessions(&tenant, &caller).await?;
    Ok(json_no_store(
        StatusCode::OK,
        &AccountSessionList { sessions },
    ))
}

async fn end_session(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state
        .engine
        .end_account_session(&tenant, &caller, &id)
        .await?;
    tracing::info!(user = %caller.user.id, session = %id, "session ended by its user");
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn consents(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    let consents = state.engine.list_account_consents(&tenant, &caller).await?;
    Ok(json_no_store(
        StatusCode::OK,
        &AccountConsentList { consents },
    ))
}

async fn revoke_consent(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Caller(caller): Caller,
    Path(client_id): Path<String>,
) -> Result<Response, ApiError> {
    state
        .engine
        .revoke_account_consent(&tenant, &caller, &client_id)
        .await?;
    tracing::info!(user = %caller.user.id, client_id = %client_id, "consent revoked by its user");
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn create_token(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<CreatePersonalAccessToken>,
) -> Result<Response, ApiError> {
    let created = state
        .engine
        .create_pat(&tenant, &caller.user.id, body)
        .await?;
    tracing::info!(user = %caller.user.id, token = %created.info.id, "personal access token created by its user");
    Ok(json_no_store(StatusCode::CREATED, &created))
}

async fn list_tokens(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    let tokens = state.engine.list_pats(&tenant, &caller.user.id).await?;
    Ok(json_no_store(
        StatusCode::OK,
        &PersonalAccessTokenList { tokens },
    ))
}

async fn revoke_token(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state
        .engine
        .revoke_pat(&tenant, &caller.user.id, &id)
        .await?;
    tracing::info!(user = %caller.user.id, token = %id, "personal access token revoked by its user");
    Ok(StatusCode::NO_CONTENT.into_response())
}
