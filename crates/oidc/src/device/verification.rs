//! The verification page's steps (RFC 8628 §3.3): a signed-in person types (or confirms) a
//! user code, sees what is asking and from where, and explicitly allows or denies it. Lookups
//! are throttled per IP address and per person, since user codes have only ~34 bits (§5.1,
//! checklist D-04). Every POST carries a CSRF token bound to the browser cookie.

use crate::interaction::{Browser, NewSessionCookie, PageMessage, SignInForm, check_csrf_token};
use crate::throttle::ThrottleError;
use crate::{Engine, OAuthError, TenantContext};
use gatehouse_core::device::{canonical_user_code, display_user_code};
use gatehouse_core::throttle::ThrottleKind;
use gatehouse_core::user::User;
use gatehouse_core::{DeviceApproval, DeviceAuthorization, DeviceStatus, Session};

/// The CSRF purpose of the verification page's forms.
pub const DEVICE_CSRF_PURPOSE: &str = "device";

/// What the confirmation page shows about a pending request (phishing mitigation, §5.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRequestView {
    /// The user code, `BCDF-GHJK`.
    pub user_code: String,
    /// The application asking.
    pub client_name: String,
    /// Requested scopes.
    pub scopes: Vec<String>,
    /// The API resources the person would grant, by name, in request order (those they may
    /// not use are left out).
    pub resources: Vec<String>,
    /// Whether the grant includes the Management API: the device would administer the
    /// tenant, so the page warns more strongly (a phished approval is worth the most here).
    pub administrative: bool,
    /// When the device asked, seconds since the epoch.
    pub requested_at: i64,
    /// From which IP address.
    pub ip: Option<String>,
}

/// Why a verification step failed.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceFailure {
    /// The CSRF token is missing or wrong.
    Forbidden,
    /// The browser has no live session: sign in first.
    NotSignedIn,
    /// No pending request has this code (unknown, expired, already decided).
    UnknownCode,
    /// Too many wrong codes; retry after this many seconds.
    Throttled(i64),
    /// This person may not approve what the request asks for.
    NotAllowed,
    /// The store failed.
    Unavailable(OAuthError),
}

impl From<OAuthError> for DeviceFailure {
    fn from(error: OAuthError) -> Self {
        Self::Unavailable(error)
    }
}

impl From<gatehouse_store::StoreError> for DeviceFailure {
    fn from(error: gatehouse_store::StoreError) -> Self {
        Self::Unavailable(error.into())
    }
}

impl From<ThrottleError> for DeviceFailure {
    fn from(error: ThrottleError) -> Self {
        match error {
            ThrottleError::Throttled(t) => Self::Throttled(t.retry_after),
            ThrottleError::Store(error) => Self::Unavailable(error),
        }
    }
}

/// The throttle keys of a lookup: the IP address and the person.
fn throttle_keys(browser: &Browser, user: &User) -> [String; 2] {
    [
        format!("ip:{}", browser.ip.as_deref().unwrap_or_default()),
        format!("user:{}", user.id),
    ]
}

impl Engine {
    /// The signed-in person of a verification step, after the CSRF check.
    async fn device_caller(
        &self,
        tenant: &TenantContext,
        browser: &Browser,
        csrf: &str,
    ) -> Result<(Session, User), DeviceFailure> {
        if !check_csrf_token(browser.binding.as_deref(), DEVICE_CSRF_PURPOSE, csrf) {
            return Err(DeviceFailure::Forbidden);
        }
        self.find_browser_session(tenant, browser)
            .await?
            .ok_or(DeviceFailure::NotSignedIn)
    }

    /// Finds the pending request a person typed, counting misses against the IP address and
    /// the person (a lock refuses even the right code until it expires).
    async fn find_pending_device(
        &self,
        tenant: &TenantContext,
        browser: &Browser,
        user: &User,
        typed: &str,
    ) -> Result<DeviceAuthorization, DeviceFailure> {
        let keys = throttle_keys(browser, user);
        for key in &keys {
            self.check_throttle(tenant, ThrottleKind::UserCode, key)
                .await?;
        }
        let found = match canonical_user_code(typed) {
            Some(code) => {
                self.store
                    .find_device_by_user_code(tenant.id(), &code, self.now())
                    .await?
            }
            None => None,
        };
        match found {
            Some(request) if request.status == DeviceStatus::Pending => Ok(request),
            _ => {
                let mut locked = None;
                for key in &keys {
                    locked = self
                        .record_failure(tenant, ThrottleKind::UserCode, key)
                        .await?
                        .or(locked);
                }
                Err(match locked {
                    Some(t) => DeviceFailure::Throttled(t.retry_after),
                    None => DeviceFailure::UnknownCode,
                })
            }
        }
    }

    /// Step 2: the person submitted a code; the confirmation page shows what asks.
    pub async fn find_device_request(
        &self,
        tenant: &TenantContext,
        browser: &Browser,
        typed: &str,
        csrf: &str,
    ) -> Result<DeviceRequestView, DeviceFailure> {
        let (_, user) = self.device_caller(tenant, browser, csrf).await?;
        let request = self
            .find_pending_device(tenant, browser, &user, typed)
            .await?;
        let client = self
            .store
            .find_application(tenant.id(), &request.client_id)
            .await?
            .ok_or(DeviceFailure::UnknownCode)?;
        let requested = self
            .stored_grant_resources(tenant, &request.resources, &request.scopes)
            .await?;
        let (resources, scopes) = match self
            .permitted_for_person(tenant, &user.id, &requested, &request.scopes)
            .await?
        {
            Some(permitted) => (permitted.resources, permitted.scopes),
            // Nothing would be granted; approving refuses it (D-07). Show what was asked.
            None => (requested, request.scopes),
        };
        let administrative = resources
            .iter()
            .any(|r| r.resource.id == gatehouse_core::MANAGEMENT_RESOURCE_ID);
        Ok(DeviceRequestView {
            user_code: display_user_code(&request.user_code),
            client_name: client.name,
            scopes,
            administrative,
            resources: resources.into_iter().map(|r| r.resource.name).collect(),
            requested_at: request.created_at,
            ip: request.ip,
        })
    }

    /// Step 3: the person allows or denies. Returns whether the device was approved.
    pub async fn decide_device_request(
        &self,
        tenant: &TenantContext,
        browser: &Browser,
        typed: &str,
        allow: bool,
        csrf: &str,
    ) -> Result<bool, DeviceFailure> {
        let (session, user) = self.device_caller(tenant, browser, csrf).await?;
        let request = self
            .find_pending_device(tenant, browser, &user, typed)
            .await?;
        let now = self.now();
        // What the person approves: the request, less what they may not use (D-07).
        let (mut resources, mut scopes) = (request.resources.clone(), request.scopes.clone());
        if allow && !request.resources.is_empty() {
            // D-07: what the person may not obtain themselves, they cannot approve either.
            // Resources they may not use are left out (as the page showed), and the approval
            // stores what is left, so a later poll can only narrow it further; when every
            // resource is left out, the request is denied.
            let requested = self
                .stored_grant_resources(tenant, &request.resources, &request.scopes)
                .await?;
            let permitted = if requested.is_empty() {
                None
            } else {
                self.permitted_for_person(tenant, &user.id, &requested, &request.scopes)
                    .await?
            };
            let Some(permitted) = permitted else {
                self.store
                    .decide_device_authorization(tenant.id(), &request.user_code, None, now)
                    .await?;
                return Err(DeviceFailure::NotAllowed);
            };
            resources = permitted
                .resources
                .into_iter()
                .map(|r| r.indicator)
                .collect();
            scopes = permitted.scopes;
        }
        let approval = allow.then(|| DeviceApproval {
            user_id: user.id.clone(),
            session_id: session.id.clone(),
            auth_time: session.auth_time,
            amr: session.amr.clone(),
            resources,
            scopes,
        });
        let changed = self
            .store
            .decide_device_authorization(tenant.id(), &request.user_code, approval.as_ref(), now)
            .await?;
        if !changed {
            return Err(DeviceFailure::UnknownCode);
        }
        Ok(allow)
    }

    /// Signs a person in on the verification page (same checks and limits as the sign-in
    /// page); returns the new session cookie.
    pub async fn handle_device_sign_in(
        &self,
        tenant: &TenantContext,
        browser: &Browser,
        form: SignInForm,
    ) -> Result<NewSessionCookie, PageMessage> {
        if !check_csrf_token(browser.binding.as_deref(), DEVICE_CSRF_PURPOSE, &form.csrf) {
            return Err(PageMessage::Unavailable);
        }
        let user = self
            .check_sign_in(tenant, browser, &form)
            .await?
            .ok_or(PageMessage::InvalidCredentials)?;
        let (_, cookie) = self
            .start_session(tenant, &user, browser, form.remember, &["pwd"])
            .await
            .map_err(|_| PageMessage::Unavailable)?;
        Ok(cookie)
    }
}
