//! RFC 8707 resource indicators across one grant: a grant (authorization request, code,
//! refresh token family, device authorization) may name several resources, what a person may
//! not use is left out of it, and each token request picks the one resource its access token
//! is for.
//!
//! ```text
//!  authorize | device authorization: resource=A&resource=B   (repeatable, §2)
//!     each: absolute, no fragment, known, the client may request it    else invalid_target
//!     the UserInfo URL too, when the scope has openid (no row needed)
//!     scopes: OIDC ones + those A or B define and the client holds     else invalid_scope
//!  the person signs in | approves: resources they may not use are left out with the
//!     scopes only those define; all left out -> access_denied
//!  code | device code | refresh token (the family keeps the whole grant [A, B] + scopes):
//!     resource=A      -> aud A, scope = OIDC scopes + A's          (UserInfo URL: OIDC only)
//!     resource=X      -> invalid_target, nothing rotated            (X not in the grant, §2.2)
//!     no resource     -> []: UserInfo | [A]: A | [A, B]: UserInfo with openid, else invalid_target
//! ```

use crate::authorize::{RequestedResource, STANDARD_SCOPES};
use crate::userinfo::{userinfo_audience, userinfo_resource};
use crate::{Engine, ErrorCode, OAuthError, TenantContext};
use gatehouse_core::ApiResource;

/// What a person may be granted of a request (R3 of the grant rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PermittedGrant {
    /// The resources kept, in request order.
    pub resources: Vec<RequestedResource>,
    /// The scopes kept, in request order.
    pub scopes: Vec<String>,
}

/// The scopes left once some resources are left out: the OIDC ones, and the API scopes one of
/// the kept resources defines.
pub(crate) fn scopes_for_resources(scopes: &[String], kept: &[&ApiResource]) -> Vec<String> {
    scopes
        .iter()
        .filter(|scope| {
            STANDARD_SCOPES.contains(&scope.as_str())
                || kept
                    .iter()
                    .any(|resource| resource.scopes.iter().any(|d| &d.name == *scope))
        })
        .cloned()
        .collect()
}

/// The resource a token request's access token is for, among the grant's `resources`:
/// `Ok(None)` means the UserInfo endpoint. `requested` is the request's `resource` parameter
/// (at most one: the parameter parser refuses a repeated one), `granted_scopes` the grant's.
pub(crate) fn pick_token_resource<'a>(
    resources: &'a [String],
    granted_scopes: &[String],
    requested: Option<&str>,
    userinfo: &str,
) -> Result<Option<&'a str>, OAuthError> {
    let picked = match requested {
        // RFC 8707 §2.2: a resource named at the token endpoint must be one the grant
        // covers; anything else is invalid_target.
        Some(requested) => resources
            .iter()
            .find(|granted| *granted == requested)
            .ok_or_else(|| {
                OAuthError::new(
                    ErrorCode::InvalidTarget,
                    "the resource is not part of the original grant",
                )
            })?,
        None => match resources {
            [] => return Ok(None),
            [only] => only,
            _ if granted_scopes.iter().any(|s| s == "openid") => return Ok(None),
            _ => {
                return Err(OAuthError::new(
                    ErrorCode::InvalidTarget,
                    "the grant covers several resources: name one of them with the resource \
                     parameter",
                ));
            }
        },
    };
    Ok((picked != userinfo).then_some(picked.as_str()))
}

impl Engine {
    /// Leaves out of a request the resources the person may not use (only active
    /// administrators may use the Management API), and the scopes only those define. `None`
    /// when resources were requested and every one was left out: the request is then
    /// refused with `access_denied`.
    pub(crate) async fn permitted_for_person(
        &self,
        tenant: &TenantContext,
        user_id: &str,
        resources: &[RequestedResource],
        scopes: &[String],
    ) -> Result<Option<PermittedGrant>, OAuthError> {
        let mut kept = Vec::with_capacity(resources.len());
        for requested in resources {
            if self
                .may_access_resource(tenant, user_id, &requested.resource)
                .await?
            {
                kept.push(requested.clone());
            }
        }
        if kept.is_empty() && !resources.is_empty() {
            return Ok(None);
        }
        if kept.len() == resources.len() {
            return Ok(Some(PermittedGrant {
                resources: kept,
                scopes: scopes.to_vec(),
            }));
        }
        let definitions: Vec<&ApiResource> = kept.iter().map(|r| &r.resource).collect();
        let scopes = scopes_for_resources(scopes, &definitions);
        Ok(Some(PermittedGrant {
            resources: kept,
            scopes,
        }))
    }

    /// The resources a stored grant names, looked up again: the UserInfo endpoint (with
    /// `openid`), or a resource that still exists. A resource deleted since is dropped.
    pub(crate) async fn stored_grant_resources(
        &self,
        tenant: &TenantContext,
        indicators: &[String],
        scopes: &[String],
    ) -> Result<Vec<RequestedResource>, OAuthError> {
        let openid = scopes.iter().any(|s| s == "openid");
        let userinfo = userinfo_audience(&tenant.issuer);
        let mut found = Vec::with_capacity(indicators.len());
        for indicator in indicators {
            let resource = if openid && *indicator == userinfo {
                Some(userinfo_resource(tenant))
            } else {
                self.find_resource_by_indicator(tenant, indicator).await?
            };
            if let Some(resource) = resource {
                found.push(RequestedResource {
                    indicator: indicator.clone(),
                    resource,
                });
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use gatehouse_core::ResourceScope;

    const USERINFO: &str = "https://id.example/oauth2/userinfo";

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn resource(id: &str, scopes: &[&str]) -> ApiResource {
        ApiResource {
            id: id.to_owned(),
            name: id.to_owned(),
            indicator: format!("https://{id}.example"),
            access_token_ttl: 300,
            scopes: scopes
                .iter()
                .map(|name| ResourceScope {
                    name: (*name).to_owned(),
                    description: String::new(),
                })
                .collect(),
            builtin: false,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn a_named_resource_must_be_in_the_grant() {
        let grant = list(&["https://a.example", "https://b.example", USERINFO]);
        let scopes = list(&["openid"]);
        let pick = |requested| pick_token_resource(&grant, &scopes, requested, USERINFO);
        assert_eq!(
            pick(Some("https://b.example")).unwrap(),
            Some("https://b.example")
        );
        assert_eq!(pick(Some(USERINFO)).unwrap(), None, "UserInfo token");
        for outside in [
            "https://c.example",
            "https://a.example/",
            "https://A.example",
        ] {
            let error = pick(Some(outside)).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidTarget, "{outside}");
        }
        let error =
            pick_token_resource(&[], &scopes, Some("https://a.example"), USERINFO).unwrap_err();
        assert_eq!(
            error.code,
            ErrorCode::InvalidTarget,
            "a grant without resources"
        );
    }

    #[test]
    fn without_a_resource_the_grant_decides() {
        let openid = list(&["openid", "a.read"]);
        let plain = list(&["a.read", "b.read"]);
        let none: Vec<String> = vec![];
        assert_eq!(
            pick_token_resource(&none, &openid, None, USERINFO).unwrap(),
            None
        );
        let one = list(&["https://a.example"]);
        assert_eq!(
            pick_token_resource(&one, &plain, None, USERINFO).unwrap(),
            Some("https://a.example")
        );
        let userinfo_only = list(&[USERINFO]);
        assert_eq!(
            pick_token_resource(&userinfo_only, &openid, None, USERINFO).unwrap(),
            None
        );
        let two = list(&["https://a.example", "https://b.example"]);
        assert_eq!(
            pick_token_resource(&two, &openid, None, USERINFO).unwrap(),
            None,
            "several resources with openid: a UserInfo token"
        );
        let error = pick_token_resource(&two, &plain, None, USERINFO).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidTarget);
        assert!(
            error.description.contains("name one"),
            "{}",
            error.description
        );
    }

    #[test]
    fn scopes_only_left_out_resources_define_go_too() {
        let a = resource("a", &["a.read", "shared"]);
        let b = resource("b", &["b.read", "shared"]);
        let scopes = list(&["openid", "a.read", "b.read", "shared", "offline_access"]);
        assert_eq!(
            scopes_for_resources(&scopes, &[&a]),
            list(&["openid", "a.read", "shared", "offline_access"])
        );
        assert_eq!(
            scopes_for_resources(&scopes, &[&b, &a]),
            scopes,
            "nothing left out"
        );
        assert_eq!(
            scopes_for_resources(&scopes, &[]),
            list(&["openid", "offline_access"])
        );
    }
}
