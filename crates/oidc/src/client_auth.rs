//! Client authentication (RFC 6749 §2.3): `client_secret_basic`, `client_secret_post`, or a
//! bare `client_id` for public clients. Secrets are compared as SHA-256 digests in constant
//! time; every failure answers the same `invalid_client`.

use crate::params::Params;
use crate::{Engine, OAuthError, TenantContext};
use base64::Engine as _;
use gatehouse_core::Application;
use gatehouse_crypto::{RedactedString, constant_time_eq, sha256};

/// How the client presented itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// HTTP Basic with client_id and secret.
    ClientSecretBasic,
    /// client_id and client_secret in the body.
    ClientSecretPost,
    /// client_id only (public clients).
    None,
}

/// Credentials as presented, not yet verified.
#[derive(Debug, Clone)]
pub struct UnverifiedClientCredentials {
    /// The claimed client_id.
    pub client_id: String,
    /// The presented secret.
    pub secret: Option<RedactedString>,
    /// The method used.
    pub method: AuthMethod,
}

/// Decodes one `application/x-www-form-urlencoded` component of Basic credentials.
fn form_decode(part: &str) -> Option<String> {
    let spaced = part.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

fn parse_basic(header: &str) -> Result<(String, String), OAuthError> {
    let (scheme, encoded) = header
        .trim()
        .split_once(' ')
        .ok_or_else(OAuthError::invalid_client)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client().with_detail("authorization scheme is not Basic"));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| {
            OAuthError::invalid_client().with_detail("Basic credentials are not base64")
        })?;
    let text = String::from_utf8(decoded).map_err(|_| OAuthError::invalid_client())?;
    let (id, secret) = text
        .split_once(':')
        .ok_or_else(OAuthError::invalid_client)?;
    // RFC 6749 §2.3.1: client id and password are form-urlencoded before Basic encoding.
    let id = form_decode(id).ok_or_else(OAuthError::invalid_client)?;
    let secret = form_decode(secret).ok_or_else(OAuthError::invalid_client)?;
    if id.is_empty() {
        return Err(OAuthError::invalid_client());
    }
    Ok((id, secret))
}

/// Reads client credentials from the Authorization header and the body.
pub fn parse_client_credentials(
    authorization: Option<&str>,
    params: &Params,
) -> Result<UnverifiedClientCredentials, OAuthError> {
    let body_id = params.get("client_id");
    let body_secret = params.get("client_secret");
    if let Some(header) = authorization {
        let (client_id, secret) = parse_basic(header)?;
        // RFC 6749 §2.3: the client MUST NOT use more than one authentication method.
        if body_secret.is_some() {
            return Err(OAuthError::invalid_request(
                "use only one client authentication method",
            ));
        }
        if body_id.is_some_and(|id| id != client_id) {
            return Err(OAuthError::invalid_request(
                "client_id does not match the Authorization header",
            ));
        }
        return Ok(UnverifiedClientCredentials {
            client_id,
            secret: Some(RedactedString::from(secret)),
            method: AuthMethod::ClientSecretBasic,
        });
    }
    let client_id =
        body_id.ok_or_else(|| OAuthError::invalid_client().with_detail("no client credentials"))?;
    Ok(match body_secret {
        Some(secret) => UnverifiedClientCredentials {
            client_id: client_id.to_owned(),
            secret: Some(RedactedString::from(secret.to_owned())),
            method: AuthMethod::ClientSecretPost,
        },
        None => UnverifiedClientCredentials {
            client_id: client_id.to_owned(),
            secret: None,
            method: AuthMethod::None,
        },
    })
}

impl Engine {
    /// Authenticates a client of the tenant. Confidential clients must present an active
    /// secret; public clients must present none.
    pub async fn authenticate_client(
        &self,
        tenant: &TenantContext,
        credentials: &UnverifiedClientCredentials,
    ) -> Result<Application, OAuthError> {
        let found = self
            .store
            .find_client(tenant.id(), &credentials.client_id)
            .await?;
        let Some((app, secrets)) = found else {
            return Err(OAuthError::invalid_client().with_detail("unknown client"));
        };
        match (&credentials.secret, app.app_type.is_confidential()) {
            (Some(secret), true) => {
                let presented = sha256(secret.expose().as_bytes());
                let now = self.now();
                // Check every active secret without stopping early, so timing says nothing.
                let matched = secrets
                    .iter()
                    .filter(|stored| stored.is_active(now))
                    .fold(false, |found, stored| {
                        constant_time_eq(&stored.secret_hash, &presented) | found
                    });
                if matched {
                    Ok(app)
                } else {
                    Err(OAuthError::invalid_client().with_detail("wrong or expired secret"))
                }
            }
            (None, false) => Ok(app),
            (None, true) => {
                Err(OAuthError::invalid_client().with_detail("confidential client without secret"))
            }
            (Some(_), false) => {
                Err(OAuthError::invalid_client().with_detail("public client presented a secret"))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn basic(id: &str, secret: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
        )
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let params = Params::default();
        let creds =
            parse_client_credentials(Some(&basic("my%3Aid", "a%25b%2Bc+d")), &params).unwrap();
        assert_eq!(creds.client_id, "my:id");
        assert_eq!(creds.secret.unwrap().expose(), "a%b+c d");
        assert_eq!(creds.method, AuthMethod::ClientSecretBasic);
    }

    #[test]
    fn two_methods_are_refused() {
        let params = Params::from_pairs([("client_id", "x"), ("client_secret", "y")]).unwrap();
        let error = parse_client_credentials(Some(&basic("x", "y")), &params).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn malformed_headers_are_invalid_client() {
        let params = Params::default();
        for header in ["Bearer abc", "Basic !!!", "Basic", &basic("", "x")] {
            let error = parse_client_credentials(Some(header), &params).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidClient, "{header}");
        }
        let error = parse_client_credentials(None, &params).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidClient);
    }
}
