//! The authorization code grant (RFC 6749 §4.1, RFC 7636, OIDC Core §3.1.3): issuing a code
//! once the user has authorized, and redeeming it at the token endpoint for an access token,
//! an ID token (`openid`) and a refresh token (`offline_access`).
//!
//! ```text
//!  request --check_code_request (code, verifier syntax)--> consume_code (atomic)
//!    Consumed ----> check_client -> check_redirect_uri -> check_pkce -> check_user
//!                   -> pick the resource (RFC 8707 §2.2: one of the grant's, else invalid_target)
//!                   -> tokens
//!                   any failure: the code stays burnt, nothing revoked
//!    AlreadyConsumed{grant_id} --same client and verifier as the first redemption?
//!                   yes: revoke the grant and its refresh family (P-08), invalid_grant
//!                   no:  invalid_grant, nothing revoked (no denial of service)
//!    Expired | NotFound -> invalid_grant
//! ```
//!
//! The store keeps no consumed code for the replay check, so the grant id binds the client
//! and the PKCE challenge: `<uuid v7>.<base64url(SHA-256(client_id NUL challenge))[..16 bytes]>`.
//! Both are public values, so the binding reveals nothing the front channel did not.

use super::UserAuthorization;
use crate::authorize::AuthorizationRequest;
use crate::params::Params;
use crate::{Engine, ErrorCode, OAuthError, TenantContext};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_core::user::User;
use gatehouse_core::{Application, ApplicationType, AuthorizationCode, CodeConsumption, Session};
use gatehouse_crypto::{constant_time_eq, random_token, sha256};
use gatehouse_types::oauth::TokenResponse;

/// The grant type value.
pub const GRANT_TYPE: &str = "authorization_code";

/// Lifetime of an authorization code (seconds; checklist P-09).
pub const CODE_TTL: i64 = 60;

/// Shortest and longest PKCE code verifier (RFC 7636 §4.1).
const VERIFIER_LEN: std::ops::RangeInclusive<usize> = 43..=128;

fn invalid_grant(detail: &str) -> OAuthError {
    // One public description for every refusal: the client learns nothing it could probe.
    OAuthError::new(
        ErrorCode::InvalidGrant,
        "the authorization code is invalid, expired or was already used",
    )
    .with_detail(detail.to_owned())
}

/// The S256 code challenge of a verifier (RFC 7636 §4.2).
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes()))
}

/// The part of a grant id that binds it to a client and a PKCE challenge.
fn grant_binding(client_id: &str, code_challenge: &str) -> String {
    let mut input = Vec::with_capacity(client_id.len() + code_challenge.len() + 1);
    input.extend_from_slice(client_id.as_bytes());
    input.push(0);
    input.extend_from_slice(code_challenge.as_bytes());
    URL_SAFE_NO_PAD.encode(sha256(&input).get(..16).unwrap_or_default())
}

fn new_grant_id(client_id: &str, code_challenge: &str) -> String {
    format!(
        "{}.{}",
        uuid::Uuid::now_v7().simple(),
        grant_binding(client_id, code_challenge)
    )
}

/// Whether a replay comes from the client and verifier of the first redemption.
fn replay_matches_grant(grant_id: &str, client_id: &str, verifier: &str) -> bool {
    let Some((_, binding)) = grant_id.split_once('.') else {
        return false;
    };
    let expected = grant_binding(client_id, &s256_challenge(verifier));
    constant_time_eq(binding.as_bytes(), expected.as_bytes())
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
fn check_verifier_syntax(verifier: &str) -> Result<(), OAuthError> {
    let legal = verifier
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !legal || !VERIFIER_LEN.contains(&verifier.len()) {
        return Err(OAuthError::invalid_request(
            "code_verifier must be 43 to 128 unreserved characters",
        ));
    }
    Ok(())
}

fn check_client(code: &AuthorizationCode, client: &Application) -> Result<(), OAuthError> {
    // RFC 6749 §4.1.3: ensure the code was issued to the authenticated client.
    if code.client_id != client.id {
        return Err(invalid_grant("code issued to another client"));
    }
    Ok(())
}

fn check_redirect_uri(
    code: &AuthorizationCode,
    client: &Application,
    params: &Params,
) -> Result<(), OAuthError> {
    let presented = params.get("redirect_uri");
    // RFC 6749 §4.1.3: redirect_uri MUST be present and identical if the authorization
    // request included it. An empty stored value means it was not sent (the client's only
    // registered URI was used); a value sent anyway must then be that registered URI.
    let matches = match (code.redirect_uri.as_str(), presented) {
        ("", None) => true,
        ("", Some(presented)) => client.redirect_uris.iter().any(|uri| uri == presented),
        (stored, Some(presented)) => stored == presented,
        (_, None) => false,
    };
    if !matches {
        return Err(invalid_grant(
            "redirect_uri differs from the authorization request",
        ));
    }
    Ok(())
}

fn check_pkce(code: &AuthorizationCode, verifier: &str) -> Result<(), OAuthError> {
    // RFC 7636 §4.6 (and RFC 9700 §4.8.2 against downgrades): a code without a challenge
    // is never redeemed.
    if code.code_challenge.is_empty() {
        return Err(invalid_grant("code issued without a PKCE challenge"));
    }
    let computed = s256_challenge(verifier);
    if !constant_time_eq(computed.as_bytes(), code.code_challenge.as_bytes()) {
        return Err(invalid_grant("code_verifier does not match the challenge"));
    }
    Ok(())
}

impl Engine {
    /// Issues an authorization code for a validated request the user has authorized in
    /// `session`. Returns the code; only its hash is stored.
    pub async fn issue_authorization_code(
        &self,
        tenant: &TenantContext,
        request: &AuthorizationRequest,
        user: &User,
        session: &Session,
    ) -> Result<String, OAuthError> {
        if session.user_id != user.id || request.code_challenge.is_empty() {
            return Err(OAuthError::new(ErrorCode::ServerError, "internal error")
                .with_detail("code requested for a foreign session or without a challenge"));
        }
        let code = random_token(32);
        let now = self.now();
        let record = AuthorizationCode {
            code_hash: sha256(code.as_bytes()).to_vec(),
            grant_id: new_grant_id(&request.client.id, &request.code_challenge),
            client_id: request.client.id.clone(),
            user_id: user.id.clone(),
            session_id: session.id.clone(),
            redirect_uri: if request.redirect_uri_sent {
                request.target.redirect_uri.clone()
            } else {
                String::new()
            },
            scopes: request.scopes.clone(),
            resources: request.resource_indicators(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            auth_time: session.auth_time,
            amr: session.amr.clone(),
            acr: session.acr.clone(),
            created_at: now,
            expires_at: now.saturating_add(CODE_TTL),
            consumed_at: None,
        };
        self.store.insert_code(tenant.id(), &record).await?;
        Ok(code)
    }

    /// Redeems an authorization code for an authenticated client.
    pub async fn handle_authorization_code(
        &self,
        tenant: &TenantContext,
        client: &Application,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        if client.app_type == ApplicationType::M2m {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "machine-to-machine applications may not use authorization_code",
            ));
        }
        // Malformed requests are refused before the code is touched, so they burn nothing.
        let code = params.require("code")?;
        let verifier = params.require("code_verifier")?;
        check_verifier_syntax(verifier)?;
        let now = self.now();
        let consumption = self
            .store
            .consume_code(tenant.id(), &sha256(code.as_bytes()), now)
            .await?;
        let code = match consumption {
            CodeConsumption::Consumed(code) => code,
            CodeConsumption::AlreadyConsumed { grant_id } => {
                return Err(self
                    .handle_code_replay(tenant, &grant_id, client, verifier)
                    .await);
            }
            CodeConsumption::Expired => return Err(invalid_grant("code expired")),
            CodeConsumption::NotFound => return Err(invalid_grant("unknown code")),
        };
        check_client(&code, client)?;
        check_redirect_uri(&code, client, params)?;
        check_pkce(&code, verifier)?;
        let user = self
            .store
            .find_user(tenant.id(), &code.user_id)
            .await?
            .filter(|user| !user.disabled)
            .ok_or_else(|| invalid_grant("the user is gone or disabled"))?;
        let authorization = UserAuthorization {
            grant_id: &code.grant_id,
            user: &user,
            scopes: &code.scopes,
            resources: &code.resources,
            requested_resource: params.get("resource"),
            nonce: code.nonce.as_deref(),
            session_id: Some(&code.session_id),
            auth_time: code.auth_time,
            amr: &code.amr,
            acr: code.acr.as_deref(),
        };
        self.issue_authorized_tokens(tenant, client, authorization, now)
            .await
    }

    /// A second redemption: when it comes from the client and verifier of the first, the
    /// code leaked, so every token of the grant is revoked (RFC 6749 §4.1.2, P-08).
    /// Otherwise nothing is revoked, so a stranger holding the code cannot end the grant.
    async fn handle_code_replay(
        &self,
        tenant: &TenantContext,
        grant_id: &str,
        client: &Application,
        verifier: &str,
    ) -> OAuthError {
        if !replay_matches_grant(grant_id, &client.id, verifier) {
            return invalid_grant("replayed code with another client or verifier");
        }
        let now = self.now();
        let until = now.saturating_add(self.config.max_token_lifetime);
        let revoked = async {
            self.store
                .revoke_grant(tenant.id(), grant_id, now, until)
                .await?;
            self.store.revoke_family(tenant.id(), grant_id, now).await?;
            Ok::<(), gatehouse_store::StoreError>(())
        };
        match revoked.await {
            Ok(()) => invalid_grant("code replayed: grant revoked"),
            // The replay is refused either way; report the store failure, never a quiet success.
            Err(error) => error.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_syntax() {
        for (verifier, ok) in [
            ("a".repeat(42), false),
            ("a".repeat(43), true),
            ("A-._~9".repeat(21) + "zz", true),
            ("a".repeat(128), true),
            ("a".repeat(129), false),
            ("a".repeat(42) + "+", false),
            ("a".repeat(42) + "=", false),
            ("a".repeat(42) + "é", false),
        ] {
            assert_eq!(check_verifier_syntax(&verifier).is_ok(), ok, "{verifier}");
        }
    }

    #[test]
    fn s256_is_base64url_sha256_without_padding() {
        // Expected value computed independently (Python hashlib + urlsafe_b64encode).
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mJ92ZH1kN8ZKT4KC5tzkdBNEvhMADk"),
            "L7UReOBM2cgIceFPfNhi7MtuCm7rnjtM6GMO0CZhDbI"
        );
    }

    #[test]
    fn grant_binding_checks_client_and_verifier() {
        let verifier = "dBjftJeZ4CVP-mJ92ZH1kN8ZKT4KC5tzkdBNEvhMADk";
        let grant = new_grant_id("client-a", &s256_challenge(verifier));
        assert!(replay_matches_grant(&grant, "client-a", verifier));
        assert!(!replay_matches_grant(&grant, "client-b", verifier));
        assert!(!replay_matches_grant(&grant, "client-a", &"x".repeat(43)));
        assert!(!replay_matches_grant("no-binding", "client-a", verifier));
    }
}
