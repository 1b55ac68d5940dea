//! Request extractors of the Management API whose failures answer problem+json: [`ApiJson`]
//! for JSON bodies and [`ApiQuery`] for query strings. The body size is limited globally
//! (`MAX_BODY_BYTES`, 413).

use crate::error::{ApiError, codes};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use gatehouse_types::problem::FieldError;
use serde::de::DeserializeOwned;

/// A JSON request body: `Content-Type: application/json` (415 `unsupported_media_type`
/// otherwise), deserialized with serde (400 `invalid_body` naming the field otherwise).
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

/// Whether the media type is `application/json` (parameters such as `charset` allowed).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case("application/json"))
}

/// Parses a JSON body; serde's message names the field, line and column.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            codes::INVALID_BODY,
            format!("invalid JSON body: {error}"),
        )
    })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                codes::UNSUPPORTED_MEDIA_TYPE,
                "the body must be application/json",
            ));
        }
        let body = Bytes::from_request(request, state)
            .await
            // Too large (413) or the connection failed while reading.
            .map_err(|rejection| {
                ApiError::new(
                    rejection.status(),
                    codes::INVALID_BODY,
                    rejection.body_text(),
                )
            })?;
        parse_json(&body).map(Self)
    }
}

/// Query parameters; a malformed value answers 422 `validation_failed` on field `query`.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::try_from_uri(&parts.uri) {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::validation(vec![FieldError {
                field: "query".to_owned(),
                message: rejection.body_text(),
            }])),
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use gatehouse_types::management::CreateApplication;

    #[test]
    fn json_media_types() {
        let cases = [
            (Some("application/json"), true),
            (Some("application/json; charset=utf-8"), true),
            (Some("Application/JSON"), true),
            (Some("text/plain"), false),
            (Some("application/jsonx"), false),
            (Some("application/x-www-form-urlencoded"), false),
            (None, false),
        ];
        for (content_type, expected) in cases {
            let mut headers = HeaderMap::new();
            if let Some(value) = content_type {
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            }
            assert_eq!(is_json(&headers), expected, "{content_type:?}");
        }
    }

    #[test]
    fn body_errors_name_the_field() {
        let error = parse_json::<CreateApplication>(br#"{"name":"x","type":"spa","colour":1}"#)
            .unwrap_err();
        assert_eq!(
            (error.status, error.code),
            (StatusCode::BAD_REQUEST, codes::INVALID_BODY)
        );
        assert!(error.detail.contains("colour"), "{}", error.detail);
        let error = parse_json::<CreateApplication>(br#"{"name":"x","type":"tv"}"#).unwrap_err();
        assert!(error.detail.contains("tv"), "{}", error.detail);
        let error = parse_json::<CreateApplication>(b"{").unwrap_err();
        assert_eq!(error.code, codes::INVALID_BODY);
    }
}
