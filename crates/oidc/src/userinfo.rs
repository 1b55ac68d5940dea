//! The UserInfo endpoint (OIDC Core §5.3): a bearer access token whose audience is this
//! issuer's UserInfo endpoint buys the claims of its user that its scopes cover (§5.4), and
//! no others. Any token problem is `invalid_token` (RFC 6750 §3.1); the server answers 401
//! with `WWW-Authenticate: Bearer error="invalid_token"` (checklist P-27).

use crate::access_token::TokenRejection;
use crate::{Engine, OAuthError, TenantContext};
use gatehouse_core::ApiResource;
use gatehouse_core::user::User;
use serde_json::{Map, Value};

/// Lifetime of an access token for the UserInfo endpoint (seconds).
pub const USERINFO_ACCESS_TOKEN_TTL: u32 = 900;

/// The audience of access tokens for the UserInfo endpoint of an issuer.
pub fn userinfo_audience(issuer: &str) -> String {
    format!("{issuer}/oauth2/userinfo")
}

/// Id of the UserInfo endpoint as a resource of a grant (never stored).
pub const USERINFO_RESOURCE_ID: &str = "userinfo";

/// The UserInfo endpoint as a protected resource (RFC 8707): the resource an OpenID Connect
/// request's scopes are used at, so a grant may name it among several resources and a token
/// request may pick it. It defines no API scope; its tokens carry the OIDC scopes.
pub fn userinfo_resource(tenant: &TenantContext) -> ApiResource {
    ApiResource {
        id: USERINFO_RESOURCE_ID.to_owned(),
        name: "UserInfo".to_owned(),
        indicator: userinfo_audience(&tenant.issuer),
        access_token_ttl: USERINFO_ACCESS_TOKEN_TTL,
        scopes: Vec::new(),
        builtin: true,
        created_at: 0,
        updated_at: 0,
    }
}

/// Why a UserInfo request failed (RFC 6750 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserinfoError {
    /// The token is malformed, expired, revoked, for another audience, or its user is gone or
    /// disabled: 401 `invalid_token`. The text is safe to send.
    #[error("{0}")]
    InvalidToken(&'static str),
    /// The token lacks the `openid` scope: 403 `insufficient_scope`.
    #[error("the access token does not carry the openid scope")]
    InsufficientScope,
    /// The token could not be checked: 503 (or 500).
    #[error("the token could not be checked")]
    Unavailable(OAuthError),
}

impl UserinfoError {
    /// The RFC 6750 error code, for `WWW-Authenticate`; `None` for server-side failures.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Self::InvalidToken(_) => Some("invalid_token"),
            Self::InsufficientScope => Some("insufficient_scope"),
            Self::Unavailable(_) => None,
        }
    }
}

impl Engine {
    /// Answers a UserInfo request carrying `bearer_token` (from the Authorization header only:
    /// query tokens are never accepted, P-20).
    pub async fn handle_userinfo(
        &self,
        tenant: &TenantContext,
        bearer_token: &str,
    ) -> Result<Value, UserinfoError> {
        let claims = self
            .verify_access_token(tenant, bearer_token)
            .await
            .map_err(|rejection| match rejection {
                TokenRejection::Unavailable(error) => UserinfoError::Unavailable(error),
                TokenRejection::Expired => UserinfoError::InvalidToken("the access token expired"),
                TokenRejection::Revoked => {
                    UserinfoError::InvalidToken("the access token was revoked")
                }
                TokenRejection::Invalid => {
                    UserinfoError::InvalidToken("the access token is invalid")
                }
            })?;
        if claims.aud != userinfo_audience(&tenant.issuer) {
            return Err(UserinfoError::InvalidToken(
                "the access token is not for the UserInfo endpoint",
            ));
        }
        let scopes: Vec<&str> = claims.scope.split(' ').collect();
        // OIDC Core §5.3: the UserInfo endpoint serves OpenID Connect access tokens.
        if !scopes.contains(&"openid") {
            return Err(UserinfoError::InsufficientScope);
        }
        let user = self
            .store
            .find_user(tenant.id(), &claims.sub)
            .await
            .map_err(|e| UserinfoError::Unavailable(e.into()))?
            .filter(|user| !user.disabled)
            .ok_or(UserinfoError::InvalidToken(
                "the access token's user no longer exists or is disabled",
            ))?;
        Ok(user_claims(&user, &scopes))
    }
}

/// `sub` and the claims the scopes cover (OIDC Core §5.4); claims without a value are left
/// out (§5.3.2), and so is an address without any member.
pub fn user_claims(user: &User, scopes: &[&str]) -> Value {
    let mut claims = Map::new();
    let mut put = |name: &str, value: Option<&str>| {
        if let Some(value) = value {
            claims.insert(name.to_owned(), Value::from(value));
        }
    };
    put("sub", Some(user.id.as_str()));
    if scopes.contains(&"profile") {
        let profile = &user.profile;
        put("name", user.name.as_deref());
        put("family_name", profile.family_name.as_deref());
        put("given_name", profile.given_name.as_deref());
        put("middle_name", profile.middle_name.as_deref());
        put("nickname", profile.nickname.as_deref());
        put("preferred_username", user.username.as_deref());
        put("profile", profile.profile.as_deref());
        put("picture", profile.picture.as_deref());
        put("website", profile.website.as_deref());
        put("gender", profile.gender.as_deref());
        put("birthdate", profile.birthdate.as_deref());
        put("zoneinfo", profile.zoneinfo.as_deref());
        put("locale", profile.locale.as_deref());
        claims.insert("updated_at".to_owned(), Value::from(user.updated_at));
    }
    if scopes.contains(&"email")
        && let Some(email) = &user.email
    {
        claims.insert("email".to_owned(), Value::from(email.as_str()));
        claims.insert(
            "email_verified".to_owned(),
            Value::from(user.email_verified),
        );
    }
    if scopes.contains(&"phone")
        && let Some(phone_number) = &user.phone_number
    {
        claims.insert(
            "phone_number".to_owned(),
            Value::from(phone_number.as_str()),
        );
        claims.insert(
            "phone_number_verified".to_owned(),
            Value::from(user.phone_number_verified),
        );
    }
    if scopes.contains(&"address")
        && let Some(address) = &user.address
    {
        // §5.1.1: a JSON object of the members that have a value.
        let members: Map<String, Value> = address
            .members()
            .into_iter()
            .filter_map(|(name, value)| Some((name.to_owned(), Value::from(value?))))
            .collect();
        if !members.is_empty() {
            claims.insert("address".to_owned(), Value::Object(members));
        }
    }
    Value::Object(claims)
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
    use gatehouse_core::profile::{Address, Profile};
    use serde_json::json;

    fn ada() -> User {
        User {
            id: "u-1".into(),
            username: Some("ada".into()),
            email: Some("ada@example.com".into()),
            email_verified: true,
            name: Some("Ada Lovelace".into()),
            phone_number: Some("+442079460958".into()),
            phone_number_verified: false,
            profile: Profile {
                given_name: Some("Ada".into()),
                family_name: Some("Lovelace".into()),
                middle_name: Some("Augusta".into()),
                nickname: Some("Countess".into()),
                profile: Some("https://example.com/ada".into()),
                picture: Some("https://example.com/ada.png".into()),
                website: Some("https://ada.example/".into()),
                gender: Some("female".into()),
                birthdate: Some("1815-12-10".into()),
                zoneinfo: Some("Europe/London".into()),
                locale: Some("en-GB".into()),
            },
            address: Some(Address {
                street_address: Some("12 St James's Square\nFlat 1".into()),
                locality: Some("London".into()),
                country: Some("United Kingdom".into()),
                ..Default::default()
            }),
            updated_at: 1_700_000_000,
            ..User::default()
        }
    }

    fn names(claims: &Value) -> Vec<&str> {
        claims
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect()
    }

    #[test]
    fn each_scope_yields_its_claims_only() {
        let user = ada();
        let profile = [
            "birthdate",
            "family_name",
            "gender",
            "given_name",
            "locale",
            "middle_name",
            "name",
            "nickname",
            "picture",
            "preferred_username",
            "profile",
            "sub",
            "updated_at",
            "website",
            "zoneinfo",
        ];
        let cases: [(&[&str], &[&str]); 5] = [
            (&["openid"], &["sub"]),
            (&["openid", "profile"], &profile),
            (&["openid", "email"], &["email", "email_verified", "sub"]),
            (
                &["openid", "phone"],
                &["phone_number", "phone_number_verified", "sub"],
            ),
            (&["openid", "address"], &["address", "sub"]),
        ];
        for (scopes, expected) in cases {
            let claims = user_claims(&user, scopes);
            let mut got = names(&claims);
            got.sort_unstable();
            assert_eq!(got, expected, "{scopes:?}");
        }
        let all = user_claims(&user, &["openid", "profile", "email", "phone", "address"]);
        assert_eq!(names(&all).len(), profile.len() + 5);
        assert_eq!(all["phone_number"], "+442079460958");
        assert_eq!(all["phone_number_verified"], false);
        assert_eq!(all["zoneinfo"], "Europe/London");
        assert_eq!(all["updated_at"], 1_700_000_000);
        assert_eq!(
            all["address"],
            json!({
                "street_address": "12 St James's Square\nFlat 1",
                "locality": "London",
                "country": "United Kingdom",
            })
        );
    }

    #[test]
    fn claims_without_a_value_are_left_out() {
        let bare = User {
            id: "u-2".into(),
            email: Some("bare@example.com".into()),
            address: Some(Address::default()),
            updated_at: 5,
            ..User::default()
        };
        let claims = user_claims(&bare, &["openid", "profile", "email", "phone", "address"]);
        assert_eq!(
            claims,
            json!({
                "sub": "u-2",
                "updated_at": 5,
                "email": "bare@example.com",
                "email_verified": false,
            })
        );
    }

    /// Discovery lists every claim UserInfo can answer (OIDC Discovery §3 `claims_supported`).
    #[test]
    fn discovery_lists_every_claim() {
        let tenant = TenantContext {
            tenant: gatehouse_core::Tenant {
                id: "t1".into(),
                name: "one".into(),
                created_at: 1,
            },
            issuer: "https://id.example".into(),
        };
        let supported = crate::discovery::provider_metadata(&tenant).claims_supported;
        let claims = user_claims(&ada(), &["openid", "profile", "email", "phone", "address"]);
        for name in names(&claims) {
            assert!(supported.iter().any(|s| s == name), "{name} is not listed");
        }
    }
}
