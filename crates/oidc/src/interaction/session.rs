//! Browser sessions: found by the hash of the session cookie (S-03), touched at most once a
//! minute, and started afresh on every sign-in, replacing whatever session the browser held
//! (session fixation, S-02).

use super::Browser;
use crate::{Engine, OAuthError, TenantContext};
use gatehouse_core::Session;
use gatehouse_core::user::User;
use gatehouse_crypto::{random_token, sha256};

/// Default absolute session lifetime (seconds): 14 days.
pub const SESSION_ABSOLUTE_SECONDS: i64 = 14 * 86_400;

/// Default idle session lifetime (seconds): 3 days without a request ends the session.
pub const SESSION_IDLE_SECONDS: i64 = 3 * 86_400;

/// A session is touched (`last_seen_at`, idle limit) at most this often (seconds).
const TOUCH_INTERVAL: i64 = 60;

/// The session cookie to set after a sign-in.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSessionCookie {
    /// The cookie value; only its hash is stored.
    pub secret: String,
    /// Whether the cookie outlives the browser ("remember me"): then it gets `Max-Age`.
    pub persistent: bool,
    /// Seconds until the session's absolute end.
    pub max_age: i64,
}

impl std::fmt::Debug for NewSessionCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSessionCookie")
            .field("secret", &"[redacted]")
            .field("persistent", &self.persistent)
            .field("max_age", &self.max_age)
            .finish()
    }
}

impl Engine {
    /// The browser's live session and its enabled user, if any. Activity moves the idle limit
    /// on (at most once a minute, so reads stay cheap).
    pub async fn find_browser_session(
        &self,
        tenant: &TenantContext,
        browser: &Browser,
    ) -> Result<Option<(Session, User)>, OAuthError> {
        let Some(secret) = browser.session.as_deref() else {
            return Ok(None);
        };
        let now = self.now();
        let Some(session) = self
            .store
            .find_session_by_secret_hash(tenant.id(), &sha256(secret.as_bytes()), now)
            .await?
        else {
            return Ok(None);
        };
        let Some(user) = self
            .store
            .find_user(tenant.id(), &session.user_id)
            .await?
            .filter(|user| !user.disabled)
        else {
            return Ok(None);
        };
        if now - session.last_seen_at >= TOUCH_INTERVAL {
            let idle = now
                .saturating_add(self.config.session_idle_seconds)
                .min(session.expires_at);
            // A session that ended meanwhile is simply not extended.
            match self
                .store
                .touch_session(tenant.id(), &session.id, now, idle)
                .await
            {
                Ok(()) | Err(gatehouse_store::StoreError::NotFound) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(Some((session, user)))
    }

    /// Starts a new session for `user` after an authentication with methods `amr`, ending the
    /// session the browser held before (S-02: the id always changes at sign-in).
    pub(crate) async fn start_session(
        &self,
        tenant: &TenantContext,
        user: &User,
        browser: &Browser,
        remember: bool,
        amr: &[&str],
    ) -> Result<(Session, NewSessionCookie), OAuthError> {
        self.end_browser_session(tenant, browser).await?;
        let now = self.now();
        let secret = random_token(32);
        let expires_at = now.saturating_add(self.config.session_absolute_seconds);
        let session = Session {
            id: uuid::Uuid::now_v7().simple().to_string(),
            secret_hash: sha256(secret.as_bytes()).to_vec(),
            user_id: user.id.clone(),
            created_at: now,
            last_seen_at: now,
            expires_at,
            idle_expires_at: now
                .saturating_add(self.config.session_idle_seconds)
                .min(expires_at),
            auth_time: now,
            amr: amr.iter().map(|m| (*m).to_owned()).collect(),
            acr: None,
            persistent: remember,
            user_agent: browser.user_agent.as_ref().map(|ua| truncate(ua, 256)),
            ip: browser.ip.clone(),
        };
        self.store.insert_session(tenant.id(), &session).await?;
        let cookie = NewSessionCookie {
            secret,
            persistent: remember,
            max_age: expires_at - now,
        };
        Ok((session, cookie))
    }

    /// Deletes the browser's session, if it has a live one; returns it.
    pub async fn end_browser_session(
        &self,
        tenant: &TenantContext,
        browser: &Browser,
    ) -> Result<Option<Session>, OAuthError> {
        let Some(secret) = browser.session.as_deref() else {
            return Ok(None);
        };
        let found = self
            .store
            .find_session_by_secret_hash(tenant.id(), &sha256(secret.as_bytes()), self.now())
            .await?;
        if let Some(session) = &found {
            match self.store.delete_session(tenant.id(), &session.id).await {
                Ok(()) | Err(gatehouse_store::StoreError::NotFound) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(found)
    }
}

/// At most `max` characters of `text`.
fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
